/** `--claim-token FILE`: a {@link ClaimsSource} that pushes the file's token to trusted ASes. */
import { readFile } from 'node:fs/promises';
import { decodeJwt } from 'jose';
import { TesseraError } from '../kernel/errors';
import { ID_TOKEN_FORMAT, type ClaimToken, type ClaimsSource } from '../uma/ports';

export async function fileClaimsSource(file: string, format: string = ID_TOKEN_FORMAT): Promise<ClaimsSource> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new TesseraError('usage', `Cannot read the claim token file ${file}: ${(error as Error).message}.`, 'Pass a file that holds the token (e.g. an ID token).');
  }
  if (!text) throw new TesseraError('usage', `The claim token file ${file} is empty.`, 'Put the token (e.g. an ID token) in the file.');
  let identity: string | undefined;
  try {
    const claims = decodeJwt(text);
    if (claims.iss && claims.sub) identity = `${claims.iss}#${claims.sub}`;
  } catch {
    // opaque or base64url JSON claims (Keycloak's urn:ietf:params:oauth:token-type:jwt)
  }
  const token: ClaimToken = { claim_token: text, claim_token_format: format, ...(identity ? { identity } : {}) };
  return { claimTokenFor: async () => token };
}
