/** `--claim-token FILE`: a {@link ClaimsSource} that pushes the file's token to trusted ASes. */
import { readFile } from 'node:fs/promises';
import { TesseraError, partyOfClaimToken, ID_TOKEN_FORMAT, type ClaimToken, type ClaimsSource } from '@tessera/uma';

/**
 * Reads the token and names the party it speaks for (`iss#sub` of a JWT, else the token's own
 * fingerprint): a pushed token's RPTs and PCTs are kept for that party alone.
 */
export async function fileClaimsSource(file: string, format: string = ID_TOKEN_FORMAT): Promise<{ source: ClaimsSource; party: string }> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new TesseraError('usage', `Cannot read the claim token file ${file}: ${(error as Error).message}.`, 'Pass a file that holds the token (e.g. an ID token).');
  }
  if (!text) throw new TesseraError('usage', `The claim token file ${file} is empty.`, 'Put the token (e.g. an ID token) in the file.');
  const party = partyOfClaimToken(text);
  const token: ClaimToken = { claim_token: text, claim_token_format: format, identity: party };
  return { source: { claimTokenFor: async (request) => (request.party === party ? token : undefined) }, party };
}
