/**
 * Speaker notes in a second window (issue #23): the presenter publishes its step on a
 * BroadcastChannel; the notes window shows the step, its narration and notes and what comes next,
 * follows next/previous, and its own keys move the presenter. A malformed message is ignored.
 * (Both windows here share one jsdom; the e2e test runs them as two Chromium pages.)
 */
import { act, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Presenter } from '../../renderer/screens/Presenter';
import { SpeakerNotesWindow } from '../../renderer/screens/SpeakerNotes';
import { NOTES_CHANNEL, notesUrl, readNotesMessage } from '../../renderer/speaker-notes';
import { useUi } from '../../renderer/store';
import { useTraces } from '../../renderer/traces';
import { bloodTestFlow } from '../fixtures/blood-test-flow';
import { appState, render } from './support';

const flow = bloodTestFlow();
const settle = () => act(async () => { await new Promise((r) => setTimeout(r, 30)); });

describe('the speaker-notes window', () => {
  it('is the app page with #speaker-notes, and reads only well-formed messages', () => {
    expect(notesUrl({ origin: 'app://tessera', pathname: '/index.html' })).toBe('app://tessera/index.html#speaker-notes');
    expect(readNotesMessage({ type: 'go', to: 'next' })).toEqual({ type: 'go', to: 'next' });
    expect(readNotesMessage({ type: 'go', to: 'elsewhere' })).toBeUndefined();
    expect(readNotesMessage({ type: 'step', title: 'x', step: 0, total: 1, narration: 'n'.repeat(10_000), notes: [] })).toBeUndefined();
    expect(readNotesMessage('<img src=x onerror=alert(1)>')).toBeUndefined();
  });

  it('opens from the presenter, follows its steps, and moves it with its own keys', async () => {
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    useUi.setState({ app: appState(), flows: { [flow.flowId]: flow } });
    useTraces.setState({ view: 'client' });
    useTraces.getState().present(flow.flowId, 0);
    const presenter = within(render(<Presenter />).container);
    act(() => presenter.getByRole('button', { name: 'Speaker notes window' }).click());
    expect(open).toHaveBeenCalledWith(expect.stringMatching(/#speaker-notes$/), 'tessera-speaker-notes', expect.stringContaining('popup'));
    open.mockRestore();

    const notes = within(render(<SpeakerNotesWindow />).container);
    const progress = () => notes.getByRole('status').textContent;
    await settle();
    // The notes window said hello; the presenter answered with the step it is on.
    expect(progress()).toMatch(/Step 1 of 7 · Kate's blood-test report/);
    expect(notes.getByTestId('notes-narration').textContent).toMatch(/permission ticket T1/);
    expect(notes.getByText(/On the wire/).textContent).toMatch(/On the wire: GET .*blood-test → 401 \(challenge\)/);
    expect(notes.getByText('Next:').parentElement?.textContent).toMatch(/Next: Tessera reads the authorization server's discovery document/);
    // The presenter steps (its button: both windows' keys listen on this one jsdom window): the notes follow.
    act(() => presenter.getByRole('button', { name: 'Next →' }).click());
    await settle();
    expect(progress()).toMatch(/Step 2 of 7/);
    // The notes window's button moves the presenter (and the notes follow again).
    await act(async () => { notes.getByRole('button', { name: 'Next →' }).click(); });
    await settle();
    expect(useTraces.getState().presenting.step).toBe(2);
    expect(progress()).toMatch(/Step 3 of 7/);
    // A stray message on the channel changes nothing.
    const stray = new BroadcastChannel(NOTES_CHANNEL);
    stray.postMessage({ type: 'step', title: 'forged', step: 'x' });
    await settle();
    stray.close();
    expect(progress()).toMatch(/Step 3 of 7 · Kate's blood-test report/);
  });
});
