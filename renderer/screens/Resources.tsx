import { latestFlow, useUi } from '../store';
import { OutcomeBadge } from '../components/OutcomeBadge';
import { RecordView } from '../components/RecordView';
import { DocumentView } from '../components/DocumentView';
import { RequestBuilder } from '../components/RequestBuilder';
import { ErrorBoundary } from '../components/ErrorBoundary';
import { AddResourceForm } from '../components/AddResourceForm';
import { BrowserWait } from '../components/BrowserWait';
import { ResourceManage } from '../components/ResourceManage';
import { RsAbout } from '../components/RsAbout';
import { CANCELLED_TEXT, grantedText, OUTCOME_TEXT, uiAdvice, wasCancelled } from '../explain';
import { providerName, useSignIn } from '../components/SignIn';
import type { AppState } from '../../src/app/api';

/**
 * The first step for a person acting as nobody: sign in at the provider (the button right here), and
 * what opening a record as nobody will do — the authorization server's claims page in the browser —
 * before it happens.
 */
function FirstStep({ app }: { app: AppState }) {
  const { signIn, signingIn } = useSignIn();
  const flows = useUi((s) => s.flows);
  const provider = app.providers[0];
  if (app.actingAs.party !== 'nobody' || !provider) return null;
  const owner = app.demo ? "Kate's records" : 'the records';
  return (
    <div className="card first-step" role="region" aria-labelledby="first-step-h">
      <h3 id="first-step-h">Sign in at {providerName(provider)} to reach {owner}</h3>
      <p>Tessera acts for nobody yet, so it has no claims to show for you: most records will be refused or will ask who you are.</p>
      <button type="button" onClick={() => signIn(provider)} disabled={signingIn}>Sign in at {provider.label}</button>
      {Object.values(flows).filter((f) => f.url === provider.issuer && f.running).map((f) => <BrowserWait key={f.flowId} flow={f} />)}
      <p id="nobody-open-note" className="muted">If you open a record as nobody, its authorization server may open its own page in your browser to ask for claims about you. You can answer there, or Cancel here.</p>
    </div>
  );
}

export function Resources() {
  const app = useUi((s) => s.app);
  const flows = useUi((s) => s.flows);
  const open = useUi((s) => s.open);
  const run = useUi((s) => s.run);
  const go = useUi((s) => s.go);
  const selectFlow = useUi((s) => s.selectFlow);
  if (!app) return null;
  const nobody = app.actingAs.party === 'nobody' && app.providers.length > 0;
  return (
    <section aria-labelledby="h-resources">
      <h2 id="h-resources">Resources</h2>
      <FirstStep app={app} />
      {app.demo ? <p><button type="button" className="secondary" onClick={() => window.open(app.demo?.dashboardUrl, '_blank', 'noopener,noreferrer')}>Kate&apos;s view</button> <span className="muted">opens the owner&apos;s dashboard beside Tessera</span></p> : null}
      {app.untrustedSeen.map((u) => (
        <div key={u.issuer} className="warning" role="alert">
          <strong>{u.rs}</strong> sends you to an authorization server you do not trust: <code>{u.issuer}</code>. Nothing was sent to it.
          <button type="button" className="secondary" onClick={() => go('connections')}>Review in Connections</button>
        </div>
      ))}
      <ul className="cards" aria-labelledby="h-resources">
        {app.resources.map((r, i) => {
          const flow = latestFlow(flows, r.url);
          // Each card is named by its title, so a screen reader (and a test) can tell the cards apart.
          return (
            <li key={r.url} className="card resource" aria-labelledby={`h-resource-${i}`}>
              <ErrorBoundary key={flow?.flowId ?? 'none'} what={`${r.title}`}>
              <div className="resource-head">
                <div>
                  <h3 id={`h-resource-${i}`}>{r.title}</h3>
                  <p className="muted"><code>{r.url}</code></p>
                  <ResourceManage resource={r} />
                </div>
                <div className="actions">
                  <OutcomeBadge outcome={flow?.outcome} running={flow?.running ?? false} access={flow?.access} cancelled={flow ? wasCancelled(flow) : false} />
                  <button type="button" onClick={() => void open(r.url)} aria-label={`Open ${r.title}`} aria-describedby={nobody ? 'nobody-open-note' : undefined}>Open</button>
                  {flow ? <button type="button" className="secondary" onClick={() => { selectFlow(flow.flowId); go('flow'); }}>Timeline</button> : null}
                </div>
              </div>
              {flow ? <BrowserWait flow={flow} /> : null}
              {flow && !flow.running && flow.outcome === 'granted' ? <p className="muted access-note">{grantedText(flow).text}</p> : null}
              {flow && !flow.running && flow.outcome === 'granted' && flow.body ? <RecordView body={flow.body} /> : null}
              {flow && !flow.running && flow.outcome === 'granted' && flow.bodyBase64 ? <DocumentView base64={flow.bodyBase64} contentType={flow.contentType ?? 'application/octet-stream'} title={r.title} /> : null}
              {flow && !flow.running && wasCancelled(flow) ? <p className="explain cancelled"><strong>{CANCELLED_TEXT.label}.</strong> {CANCELLED_TEXT.text}</p> : null}
              {flow && !flow.running && flow.outcome && flow.outcome !== 'granted' && !wasCancelled(flow) ? (
                <div className={`explain ${flow.outcome}`}>
                  <p><strong>{OUTCOME_TEXT[flow.outcome].label}.</strong> {flow.error?.message ?? OUTCOME_TEXT[flow.outcome].text} {flow.error ? uiAdvice(flow.error) : null}</p>
                  {flow.error?.code === 'untrusted_as' && flow.rsMetadata ? <RsAbout metadata={flow.rsMetadata} asIssuer={flow.error.facts?.asIssuer} /> : null}
                  {flow.error?.code === 'untrusted_as' && flow.error.facts?.asIssuer ? <button type="button" onClick={() => void run('trustAs', (a) => a.trustAs({ issuer: flow.error?.facts?.asIssuer ?? '' }))}>Trust this AS</button> : null}
                  {flow.outcome === 'pending' || flow.outcome === 'need_info' ? <button type="button" className="secondary" onClick={() => go('requests')}>See what to do</button> : null}
                  <a href={flow.error?.spec ?? OUTCOME_TEXT[flow.outcome].spec} target="_blank" rel="noreferrer noopener">Specification</a>
                </div>
              ) : null}
              </ErrorBoundary>
            </li>
          );
        })}
      </ul>
      <AddResourceForm />
      <RequestBuilder resources={app.resources} trusted={app.trusted} />
    </section>
  );
}
