/**
 * Protected-resource metadata (RFC 9728): whether the RS publishes it (named by its challenge's
 * `resource_metadata`, or at `/.well-known/oauth-protected-resource`), and whether it agrees with the
 * challenge — its `resource` covers the URL probed and its `authorization_servers` include the AS.
 * Read through the engine's own lookup (packages/uma/src/uma/resource-metadata.ts), so the probe sees what a
 * client sees; a document on an origin the probe may not contact is reported, not fetched.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
import { TesseraError } from '@tessera/uma/portable';
import { normalizeIssuer, parseWwwAuthenticate, ResourceMetadataCache } from '@tessera/uma';
import { deviation, fail, pass, rfc, type CheckDefinition } from '../types';

export const resourceMetadataChecks: CheckDefinition[] = [
  {
    id: 'rs.resource-metadata',
    title: 'The RS publishes protected-resource metadata that lists this AS',
    spec: rfc(9728, '3.3'),
    rule: "An RS may name its metadata in its challenge (resource_metadata) or serve it at /.well-known/oauth-protected-resource; its resource must be the resource called and its authorization_servers should include the challenge's as_uri.",
    async run(ctx) {
      const { shared } = ctx;
      const step = shared.transcript.flow('rs.challenge').find((s) => s.kind === 'resource');
      const header = Object.entries(step?.response?.headers ?? {}).find(([k]) => k.toLowerCase() === 'www-authenticate')?.[1];
      let advertised: string | undefined;
      try {
        advertised = header ? parseWwwAuthenticate(header).find((c) => c.params.resource_metadata)?.params.resource_metadata : undefined;
      } catch {
        advertised = undefined; // a malformed challenge is the challenge check's business
      }
      if (advertised && URL.canParse(advertised, shared.resource) && !shared.allowed.has(new URL(advertised, shared.resource).origin)) {
        return deviation(`The challenge names metadata at ${advertised}, on an origin the probe does not contact.`, 'Fetch it only if you trust that origin; a client cannot check the AS against it otherwise.');
      }
      let metadata;
      try {
        metadata = await new ResourceMetadataCache().lookup(shared.resource, advertised, { http: shared.http, flowId: ctx.flowId, ...(shared.signal ? { signal: shared.signal } : {}) });
      } catch (error) {
        if (error instanceof TesseraError && error.code === 'rs_metadata_resource_mismatch') return fail(error.message, 'Publish metadata whose resource is this RS (or the path prefix of its resources).');
        throw error;
      }
      if (!metadata) {
        return pass(`${advertised ? `The challenge names ${advertised}, but no usable document is there` : 'The RS publishes no protected-resource metadata'} (RFC 9728 is optional for UMA).`, 'Clients cannot check the challenge\'s as_uri against the RS\'s own list; publishing the document and naming it in the challenge lets them.');
      }
      const listed = metadata.authorizationServers ?? [];
      const where = metadata.source === 'challenge' ? `named by the challenge (${metadata.url})` : `at ${metadata.url}`;
      if (listed.length === 0) return deviation(`Metadata ${where} lists no authorization_servers.`, 'List the AS in authorization_servers so clients can check the challenge against it.');
      if (!listed.some((a) => normalizeIssuer(a) === normalizeIssuer(shared.asUri))) return fail(`Metadata ${where} lists ${listed.join(', ')}, not the AS the challenge names (${shared.asUri}).`, 'A client that checks (Tessera does) refuses to go to this AS: fix the challenge or the metadata.');
      return pass(`Metadata ${where}: resource ${metadata.resource}, authorization_servers include ${shared.asUri}${metadata.name ? `, resource_name "${metadata.name}"` : ''}.`);
    },
  },
];
