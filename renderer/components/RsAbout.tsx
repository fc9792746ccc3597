/**
 * What a resource server says about itself (its RFC 9728 metadata), shown beside "Trust this AS" so
 * the person decides with it in view: its name, its documentation (a link only when https, else plain
 * text), and the authorization servers it lists — marking whether the one it sent you to is among them.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
import type { RsMetadataView } from '../../src/app/api';

export function RsAbout({ metadata, asIssuer }: { metadata: RsMetadataView; asIssuer?: string | undefined }) {
  const listed = asIssuer ? metadata.authorizationServers.some((a) => a.replace(/\/+$/, '') === asIssuer.replace(/\/+$/, '')) : undefined;
  return (
    <section className="rs-about" aria-label="What the resource server says about itself">
      <p><strong>The resource server says it is</strong> {metadata.name ? <q>{metadata.name}</q> : <span>unnamed</span>} (<code>{metadata.resource}</code>).</p>
      {metadata.documentation ? (
        <p>Documentation: {metadata.documentationIsLink ? <a href={metadata.documentation} target="_blank" rel="noreferrer noopener">{metadata.documentation}</a> : <code>{metadata.documentation}</code>}</p>
      ) : null}
      {metadata.authorizationServers.length ? (
        <>
          <p>Authorization servers it lists:</p>
          <ul aria-label="Authorization servers the resource server lists">
            {metadata.authorizationServers.map((a) => <li key={a}><code>{a}</code></li>)}
          </ul>
          {listed === false ? <p role="alert">The server it sent you to is not among them.</p> : null}
        </>
      ) : <p>It lists no authorization servers.</p>}
    </section>
  );
}
