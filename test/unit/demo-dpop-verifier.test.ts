/**
 * The demo servers' DPoP proof check (src/demo/http/dpop.ts) on hostile input: its memory of `jti`s
 * stays bounded however many proofs arrive, a huge proof is refused before it is parsed, and a
 * nonce of this server is accepted once handed out. Proofs made by oauth4webapi.
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-11.1
 */
import { describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { DpopProblem, DpopVerifier } from '../../src/demo/http/dpop';

const URL_ = 'http://127.0.0.1:1/token';

async function proof(tamper?: (h: Record<string, unknown>, p: Record<string, unknown>) => void): Promise<string> {
  const keyPair = await oauth.generateKeyPair('ES256', { extractable: true });
  const handle = oauth.DPoP({}, keyPair, tamper ? { [oauth.modifyAssertion]: tamper } : {});
  const headers = new Headers();
  // addProof is the handle's public method behind every oauth4webapi request that takes `DPoP`.
  await (handle as unknown as { addProof(url: URL, headers: Headers, htm: string): Promise<void> }).addProof(new URL(URL_), headers, 'POST');
  return headers.get('dpop') ?? '';
}

describe('DpopVerifier', () => {
  it('remembers at most maxRemembered jtis, and still refuses a replay of one it holds', async () => {
    const verifier = new DpopVerifier({ maxRemembered: 3 });
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await proof();
      sent.push(p);
      await verifier.verify({ proofs: [p], method: 'POST', url: URL_ });
      expect(verifier.remembered).toBeLessThanOrEqual(3);
    }
    await expect(verifier.verify({ proofs: [sent[5] ?? ''], method: 'POST', url: URL_ })).rejects.toMatchObject({ error: 'invalid_dpop_proof', message: expect.stringMatching(/jti/) });
  });

  it('refuses a proof larger than 8 KiB before parsing it, and a missing one', async () => {
    const verifier = new DpopVerifier();
    await expect(verifier.verify({ proofs: ['a'.repeat(9000)], method: 'POST', url: URL_ })).rejects.toMatchObject({ error: 'invalid_dpop_proof', message: expect.stringMatching(/too large/) });
    await expect(verifier.verify({ proofs: undefined, method: 'POST', url: URL_ })).rejects.toBeInstanceOf(DpopProblem);
  });

  it('with requireNonce: use_dpop_nonce and a nonce, which a proof then carries successfully', async () => {
    const verifier = new DpopVerifier({ requireNonce: true });
    const refused = await verifier.verify({ proofs: [await proof()], method: 'POST', url: URL_ }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = (refused as DpopProblem).nonce ?? '';
    expect(nonce).toBe(verifier.nonce());
    await expect(verifier.verify({ proofs: [await proof((_h, p) => { p.nonce = nonce; })], method: 'POST', url: URL_ })).resolves.toMatchObject({ jkt: expect.any(String) });
  });
});
