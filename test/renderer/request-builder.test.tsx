/**
 * The request builder shows the resource server's answer and can start a body from the record last
 * read: both parse text that a hostile RS wrote. Nested 10⁵ levels deep, it must neither overflow nor
 * freeze the renderer: parsed only up to the engine's bound (packages/uma/src/kernel/json.ts,
 * MAX_JSON_DEPTH), shown as it came beyond it.
 */
import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { MAX_JSON_DEPTH } from '../../packages/uma/src/kernel/json';
import { deep } from '../fixtures/hostile-records';
import { appState, flowView, mountApp, type person } from './support';

const URL_ = 'http://127.0.0.1:4403/patients/kate/care-notes';
const resources = [{ url: URL_, title: "Kate's care notes", origin: 'http://127.0.0.1:4403', fromDemo: true }];

const builder = () => within(screen.getByRole('form', { name: 'Request builder' }));
const bodyField = () => builder().getByRole('textbox', { name: 'Body' }) as HTMLTextAreaElement;

/** Chooses PUT, then "Start from the record last read". */
async function startFromRecord(user: ReturnType<typeof person>) {
  await user.selectOptions(builder().getByRole('combobox', { name: 'Method' }), 'PUT');
  await user.click(builder().getByRole('button', { name: 'Start from the record last read' }));
}
const answer = () => within(builder().getByRole('region', { name: /^Response of the resource server/ }));

describe('request builder with a hostile resource server', () => {
  it('a record nested 10⁵ levels deep: "Start from the record last read" takes it as it came, and the answer is shown as text', async () => {
    const body = deep(100_000);
    const record = flowView({ url: URL_, body, contentType: 'application/json' });
    const openResource = vi.fn(async () => ({ flowId: record.flowId }));
    const { user } = await mountApp(appState({ resources, flows: [record] }), { openResource }, { quietErrors: true });
    await startFromRecord(user);
    expect(bodyField().value).toBe(body);
    await user.click(builder().getByRole('button', { name: 'Send PUT' }));
    expect(openResource).toHaveBeenCalledOnce();
    expect(answer().getByText((_, e) => e?.tagName === 'PRE').textContent).toBe(body);
  });

  it('a record within the bound is still indented for reading', async () => {
    const body = JSON.stringify({ kind: 'care-notes', notes: [{ text: 'Mild ankle swelling' }] });
    const record = flowView({ url: URL_, body });
    const { user } = await mountApp(appState({ resources, flows: [record] }), { openResource: vi.fn(async () => ({ flowId: record.flowId })) });
    await startFromRecord(user);
    expect(bodyField().value).toBe(JSON.stringify(JSON.parse(body), null, 2));
    await user.click(builder().getByRole('button', { name: 'Send PUT' }));
    expect(answer().getByText(/"kind": "care-notes"/).textContent).toContain('\n  "kind": "care-notes"');
  });

  it.each([[MAX_JSON_DEPTH, true], [MAX_JSON_DEPTH + 1, false]])('nested %i levels: indented %s', async (depth, indented) => {
    const body = deep(depth);
    const record = flowView({ url: URL_, body });
    const { user } = await mountApp(appState({ resources, flows: [record] }));
    await startFromRecord(user);
    expect(bodyField().value === body).toBe(!indented);
    expect(JSON.parse(bodyField().value)).toEqual(JSON.parse(body));
  });
});
