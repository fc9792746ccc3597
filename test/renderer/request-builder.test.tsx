/**
 * The request builder shows the resource server's answer and can start a body from the record last
 * read: both parse text that a hostile RS wrote. Nested 10⁵ levels deep, it must neither overflow nor
 * freeze the renderer: parsed only up to the engine's bound (packages/uma/src/kernel/json.ts,
 * MAX_JSON_DEPTH), shown as it came beyond it.
 */
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { MAX_JSON_DEPTH } from '../../packages/uma/src/kernel/json';
import { deep } from '../fixtures/hostile-records';
import { appState, flowView, mountApp } from './support';

const URL_ = 'http://127.0.0.1:4403/patients/kate/care-notes';
const resources = [{ url: URL_, title: "Kate's care notes", origin: 'http://127.0.0.1:4403', fromDemo: true }];

function builderOf(el: HTMLElement): HTMLFormElement {
  return [...el.querySelectorAll('form')].find((f) => f.querySelector('h3')?.textContent === 'Request builder') as HTMLFormElement;
}
const labelled = <T extends HTMLElement>(form: HTMLElement, label: string) => form.querySelector<T>(`#${[...form.querySelectorAll('label')].find((l) => l.textContent?.startsWith(label))?.htmlFor}`)!;

async function sendPut(form: HTMLFormElement, body: string) {
  const method = labelled<HTMLSelectElement>(form, 'Method');
  await act(async () => { method.value = 'PUT'; method.dispatchEvent(new Event('change', { bubbles: true })); });
  return { textarea: () => labelled<HTMLTextAreaElement>(form, 'Body'), body };
}

describe('request builder with a hostile resource server', () => {
  it('a record nested 10⁵ levels deep: "Start from the record last read" takes it as it came, and the answer is shown as text', async () => {
    const body = deep(100_000);
    const record = flowView({ url: URL_, body, contentType: 'application/json' });
    const openResource = vi.fn(async () => ({ flowId: record.flowId }));
    const { el } = await mountApp(appState({ resources, flows: [record] }), { openResource }, { quietErrors: true });
    const form = builderOf(el);
    const { textarea } = await sendPut(form, body);
    const fill = [...form.querySelectorAll('button')].find((b) => b.textContent === 'Start from the record last read')!;
    await act(async () => { fill.click(); });
    expect(textarea().value).toBe(body);
    await act(async () => { form.requestSubmit(); });
    expect(openResource).toHaveBeenCalledOnce();
    const answer = el.querySelector('section[aria-label^="Response of the resource server"] pre');
    expect(answer?.textContent).toBe(body);
  });

  it('a record within the bound is still indented for reading', async () => {
    const body = JSON.stringify({ kind: 'care-notes', notes: [{ text: 'Mild ankle swelling' }] });
    const record = flowView({ url: URL_, body });
    const { el } = await mountApp(appState({ resources, flows: [record] }), { openResource: vi.fn(async () => ({ flowId: record.flowId })) });
    const form = builderOf(el);
    const { textarea } = await sendPut(form, body);
    await act(async () => { [...form.querySelectorAll('button')].find((b) => b.textContent === 'Start from the record last read')!.click(); });
    expect(textarea().value).toBe(JSON.stringify(JSON.parse(body), null, 2));
    await act(async () => { form.requestSubmit(); });
    expect(el.querySelector('section[aria-label^="Response of the resource server"] pre')?.textContent).toContain('\n  "kind": "care-notes"');
  });

  it.each([[MAX_JSON_DEPTH, true], [MAX_JSON_DEPTH + 1, false]])('nested %i levels: indented %s', async (depth, indented) => {
    const body = deep(depth);
    const record = flowView({ url: URL_, body });
    const { el } = await mountApp(appState({ resources, flows: [record] }));
    const { textarea } = await sendPut(builderOf(el), body);
    await act(async () => { [...builderOf(el).querySelectorAll('button')].find((b) => b.textContent === 'Start from the record last read')!.click(); });
    expect(textarea().value === body).toBe(!indented);
    expect(JSON.parse(textarea().value)).toEqual(JSON.parse(body));
  });
});
