/**
 * "Sender-constrained tokens (DPoP)" for one trusted AS (RFC 9449): the per-AS switch the engine
 * reads on every grant (config.json `dpop`), and what the AS's metadata says about DPoP
 * (`dpop_signing_alg_values_supported`) as far as Tessera has read it.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.1
 */
import { useId } from 'react';
import type { TrustedAsView } from '../../src/app/api';

export type DpopChoice = NonNullable<TrustedAsView['dpop']>;

export const DPOP_CHOICES: { value: DpopChoice; label: string }[] = [
  { value: 'auto', label: 'Automatic (when the AS advertises it)' },
  { value: 'on', label: 'Always' },
  { value: 'off', label: 'Never' },
];

export const DPOP_LABEL = 'Sender-constrained tokens (DPoP)';

/** What the AS advertises, in words: `undefined` (not read yet), `[]` (not advertised), or its algorithms. */
export function dpopAdvertised(algs: readonly string[] | undefined, usable = true): string {
  if (algs === undefined) return 'Whether it advertises DPoP is known once Tessera has read its metadata (Discovery document, or a first request).';
  if (algs.length === 0) return 'It does not advertise DPoP (no dpop_signing_alg_values_supported in its metadata).';
  return `It advertises DPoP: dpop_signing_alg_values_supported ${algs.join(', ')}${usable ? '' : ' — none that Tessera signs with'}.`;
}

/** What the choice means for this AS now, in one sentence. */
function meaning(choice: DpopChoice, algs: readonly string[] | undefined, usable: boolean): string {
  if (choice === 'off') return 'Tessera sends no DPoP proof here: RPTs are Bearer tokens.';
  if (choice === 'on') return 'Tessera sends a DPoP proof with every grant here, and refuses an RPT the AS does not bind to its key.';
  if (algs === undefined) return 'Tessera sends a DPoP proof here if the AS advertises it.';
  return algs.length > 0 && usable ? 'Tessera sends a DPoP proof with each grant here, so RPTs are bound to its key.' : 'Tessera sends no DPoP proof here until the AS advertises it.';
}

/**
 * The switch as a labelled select (the form's value, or a trusted AS's, saved at once by `onChange`).
 * `usable`: Tessera signs with one of `algs` (the core says; default true).
 */
export function DpopSetting({ value, algs, usable = true, onChange, disabled }: { value: DpopChoice; algs?: readonly string[] | undefined; usable?: boolean | undefined; onChange: (value: DpopChoice) => void; disabled?: boolean }) {
  const id = useId();
  return (
    <div className="field dpop-setting">
      <label htmlFor={`${id}-dpop`}>{DPOP_LABEL}</label>
      <select id={`${id}-dpop`} value={value} disabled={disabled} aria-describedby={`${id}-dpop-help`} onChange={(e) => onChange(e.target.value as DpopChoice)}>
        {DPOP_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
      </select>
      <p id={`${id}-dpop-help`} className="muted">{meaning(value, algs, usable)} {dpopAdvertised(algs, usable)}</p>
    </div>
  );
}
