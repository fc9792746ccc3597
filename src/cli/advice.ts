/**
 * The CLI's words for the engine's codes: advice that names this command line's flags and commands.
 * The engine (and every layer below the faces) only says what happened, with facts; the desktop
 * UI has its own table (renderer/advice.ts) with buttons instead of flags. Advice never tells a
 * person to pass a flag they already passed.
 */
import type { ErrorInfo } from '@tessera/uma/portable';

export interface AdviceContext {
  /** The flags given on this command line (without values), e.g. `--trust`, `--no-interaction`. */
  passed: ReadonlySet<string>;
  /** The command being run (for "run the same command again"). */
  command?: string;
}

/** The hint a person at a terminal can act on, for one error. */
export function cliAdvice(error: ErrorInfo, ctx: AdviceContext): string {
  const f = error.facts ?? {};
  const has = (flag: string) => ctx.passed.has(flag);
  switch (error.code) {
    case 'untrusted_as':
      return f.asIssuer ? `Nothing was sent to it. If you trust it, run again with --trust ${f.asIssuer} (or: tessera trust add ${f.asIssuer}).` : error.hint;
    case 'need_info': {
      const tips: string[] = [];
      if (f.interactionOrigin && f.interactionAllowed === false && has('--no-interaction')) tips.push(`run again without --no-interaction to open ${f.interactionOrigin} in a browser`);
      else if (f.interactionOrigin && f.interactionAllowed) tips.push('the claims interaction did not complete; try again');
      if (!has('--claim-token')) tips.push('push a matching token with --claim-token FILE');
      tips.push(has('--identity') ? 'sign in as an identity the AS accepts (tessera login) and name it with --identity' : 'sign in with an identity the AS accepts (tessera login) and act as it with --identity');
      return `${capitalize(tips.join(', or '))}.`;
    }
    case 'pending_approval':
      if (f.reason === 'wait_limit') return 'The owner has not decided yet; run again with a longer --wait SECONDS, or later.';
      return has('--wait') ? 'Run the same command again once the owner has approved it.' : 'Run the same command again once the owner has approved it, or pass --wait SECONDS to keep polling.';
    case 'ticket_expired':
      return 'Run the same command again to ask with a fresh ticket.';
    case 'invalid_client':
      return 'Check --client-id, --client-secret / --private-key and --token-auth for this AS.';
    case 'client_not_configured':
      return has('--client-id') ? 'Give the secret or key that goes with --client-id (--client-secret or --private-key), or choose --token-auth none.' : 'Pass --client-id (and --client-secret or --private-key), or configure dynamic registration for this AS.';
    case 'identity_expired':
      return f.idpIssuer ? `Sign in again: tessera login --issuer ${f.idpIssuer}${f.clientId ? ` --client-id ${f.clientId}` : ''}` : error.hint;
    case 'identity_not_found':
      return 'Run tessera whoami to see who is signed in, or tessera login.';
    case 'registration_failed':
      return 'Register Tessera at this AS by hand and pass --client-id.';
    case 'other_scheme':
      if (f.scheme === 'GNAP') return `This resource speaks GNAP (RFC 9635)${f.asIssuer ? ` with its AS at ${f.asIssuer}` : ''}; tessera fetch speaks UMA only. Use a GNAP client for it.`;
      return `This resource wants an OAuth ${f.scheme ?? 'Bearer'} token${f.listedAs?.length ? ` from ${f.listedAs.join(' or ')}` : ''}, not a UMA RPT. If you have one, pass it with --header 'Authorization: ${f.scheme ?? 'Bearer'} TOKEN'.`;
    case 'rs_metadata_as_mismatch':
      return `Nothing was sent to ${f.asIssuer ?? 'the AS'}: the RS's metadata lists ${f.listedAs?.join(', ') ?? 'other servers'}. Report it to the RS operator; --trust does not change this.`;
    case 'dpop_not_bound':
    case 'dpop_unsupported':
      return has('--dpop')
        ? `${f.asIssuer ?? 'This AS'} does not issue DPoP-bound RPTs to Tessera; run again without --dpop to accept a bearer RPT.`
        : `config.json sets "dpop": "on" for ${f.asIssuer ?? 'this AS'}; set it to "auto", or run with --no-dpop.`;
    case 'internal':
      return 'This is a bug in Tessera; rerun with --json and report the output.';
    default:
      return error.hint;
  }
}

/** The error with its hint replaced by CLI advice (for `--json` output and stderr). */
export function withCliAdvice(error: ErrorInfo, ctx: AdviceContext): ErrorInfo {
  return { ...error, hint: cliAdvice(error, ctx) };
}

/** The flags present in argv (`--name` or `--name=value`), for {@link AdviceContext}. */
export function passedFlags(argv: readonly string[]): Set<string> {
  return new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!));
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
