import { shortJkt } from './sequence/layout';

/**
 * A DPoP key as the diagram's chip names it (`DPoP` + the thumbprint's short form); the full
 * thumbprint (public, RFC 7638) on hover.
 */
export function DpopKeyChip({ jkt }: { jkt: string }) {
  return <code className="dpop-key" title={`Key thumbprint ${jkt} (RFC 7638)`}>DPoP {shortJkt(jkt)}</code>;
}
