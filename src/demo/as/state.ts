/**
 * The AS's UMA state on the demo store: registered resources, Kate's policies, permission tickets,
 * RPTs, refresh tokens, PCTs, pending requests and the access log. Tokens and tickets are stored
 * under the SHA-256 of their value, so a copy of the store does not hand out live credentials.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.4 (tickets)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DELETE, KEEP, type KeyValueStore } from '../store/kv';
import type { Policy, RqpClaims } from './policy';

export const hash = (value: string) => createHash('sha256').update(value).digest('base64url');
export const newSecret = () => randomBytes(32).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

export interface ResourceDescription {
  _id: string;
  owner: string;
  resource_scopes: string[];
  name?: string;
  description?: string;
  icon_uri?: string;
  type?: string;
  [extension: string]: unknown;
}

export interface Permission { resource_id: string; resource_scopes: string[]; exp?: number; iat?: number }

export interface TicketRecord {
  owner: string;
  permissions: Permission[];
  /** Bound after first use: the client that continues this authorization process. */
  clientId?: string;
  /** Claims gathered so far in this process (claims interaction). */
  claims?: RqpClaims;
  /** The pending request this process waits on (request_submitted). */
  requestId?: string;
  createdAt: number;
}

export interface RptRecord {
  id: string;
  clientId: string;
  owner: string;
  permissions: Permission[];
  requester?: Pick<RqpClaims, 'issuer' | 'sub' | 'email' | 'name' | 'role'>;
  iat: number;
  exp: number;
  refreshHash?: string;
  /** The DPoP key this RPT is bound to (`cnf.jkt`, RFC 9449 §6); none: a bearer RPT. */
  jkt?: string;
}

/** `jkt`: the key a refresh of a DPoP-bound grant must prove again (RFC 9449 §5). */
export interface RefreshRecord { rptHash: string; clientId: string; exp: number; jkt?: string }

export interface PctRecord { id: string; clientId: string; claims: RqpClaims; iat: number; exp: number }

export interface PendingRequest {
  id: string;
  owner: string;
  clientId: string;
  clientName: string;
  requester: Pick<RqpClaims, 'issuer' | 'sub' | 'email' | 'name' | 'role'>;
  permissions: Permission[];
  ruleIds: string[];
  status: 'pending' | 'approved' | 'denied' | 'used';
  createdAt: number;
  decidedAt?: number;
}

export interface AccessLogEntry {
  at: number;
  owner: string;
  who: string;
  client: string;
  resources: string[];
  scopes: string[];
  outcome: 'granted' | 'partial' | 'need_info' | 'pending' | 'denied' | 'approved' | 'revoked' | 'refreshed';
  detail?: string;
}

export interface Lifetimes { ticket: number; rpt: number; refresh: number; pct: number }

export class UmaState {
  constructor(private readonly kv: KeyValueStore, readonly lifetimes: Lifetimes) {}

  // --- resources (UMA FedAuthz §3) ---
  resources(owner: string): ResourceDescription[] {
    return this.kv.list<ResourceDescription>(`res:${owner}:`).map((e) => e.value);
  }
  resource(owner: string, id: string): ResourceDescription | undefined { return this.kv.get(`res:${owner}:${id}`); }
  /** Any owner's resource by id (introspection, assessment). */
  resourceById(id: string): ResourceDescription | undefined {
    const owner = this.kv.get<string>(`res-owner:${id}`);
    return owner === undefined ? undefined : this.resource(owner, id);
  }
  async saveResource(resource: ResourceDescription): Promise<void> {
    await Promise.all([this.kv.put(`res:${resource.owner}:${resource._id}`, resource), this.kv.put(`res-owner:${resource._id}`, resource.owner)]);
  }
  async deleteResource(owner: string, id: string): Promise<void> {
    await Promise.all([this.kv.del(`res:${owner}:${id}`), this.kv.del(`res-owner:${id}`)]);
  }

  // --- policies, keyed by the resource's name (or id) so they survive re-registration ---
  policyKey(resource: ResourceDescription): string { return resource.name ?? resource._id; }
  policy(owner: string, key: string): Policy | undefined { return this.kv.get(`policy:${owner}:${key}`); }
  async savePolicy(owner: string, key: string, policy: Policy): Promise<void> { await this.kv.put(`policy:${owner}:${key}`, policy); }

  // --- tickets: single use, with a lifetime (UMA Grant §5.5) ---
  async issueTicket(record: Omit<TicketRecord, 'createdAt'>): Promise<string> {
    const ticket = newSecret();
    await this.kv.put(`ticket:${hash(ticket)}`, { ...record, createdAt: now() }, this.lifetimes.ticket);
    return ticket;
  }
  /**
   * Returns the ticket's record and invalidates it, whatever happens next: read and deleted in one
   * store transaction, so of concurrent presentations (even from two processes on one store)
   * exactly one gets the record.
   */
  async consumeTicket(ticket: string): Promise<TicketRecord | undefined> {
    return this.#take<TicketRecord>(`ticket:${hash(ticket)}`);
  }

  /** Reads and deletes an entry in one transaction, if `accept` agrees; one taker gets it. */
  async #take<T>(key: string, accept: (value: T) => boolean = () => true): Promise<T | undefined> {
    let taken: T | undefined;
    await this.kv.update<T>(key, (current) => {
      if (current === undefined || !accept(current)) return KEEP;
      taken = current;
      return DELETE;
    });
    return taken;
  }

  // --- RPTs and refresh tokens ---
  async issueRpt(record: Omit<RptRecord, 'id' | 'iat' | 'exp' | 'refreshHash'>, withRefresh: boolean): Promise<{ rpt: string; refresh?: string; record: RptRecord }> {
    const rpt = newSecret();
    const iat = now();
    const refresh = withRefresh ? newSecret() : undefined;
    const full: RptRecord = { ...record, id: randomUUID(), iat, exp: iat + this.lifetimes.rpt, ...(refresh ? { refreshHash: hash(refresh) } : {}) };
    // Kept a day past expiry so an expired RPT can still be upgraded (UMA Grant §3.3.1 `rpt`).
    const writes = [this.kv.put(`rpt:${hash(rpt)}`, full, this.lifetimes.rpt + 86400), this.kv.put(`rpt-id:${full.id}`, hash(rpt), this.lifetimes.rpt + 86400)];
    if (refresh) writes.push(this.kv.put(`refresh:${hash(refresh)}`, { rptHash: hash(rpt), clientId: record.clientId, exp: iat + this.lifetimes.refresh, ...(record.jkt ? { jkt: record.jkt } : {}) } satisfies RefreshRecord, this.lifetimes.refresh));
    await Promise.all(writes);
    return { rpt, ...(refresh ? { refresh } : {}), record: full };
  }
  rpt(token: string): RptRecord | undefined { return this.kv.get(`rpt:${hash(token)}`); }
  rptByHash(rptHash: string): RptRecord | undefined { return this.kv.get(`rpt:${rptHash}`); }
  rpts(owner: string): RptRecord[] {
    return this.kv.list<string>('rpt-id:').map((e) => this.rptByHash(e.value)).filter((r): r is RptRecord => r !== undefined && r.owner === owner && r.exp > now());
  }
  async revokeRptByHash(rptHash: string): Promise<RptRecord | undefined> {
    const record = this.rptByHash(rptHash);
    if (!record) return undefined;
    await Promise.all([this.kv.del(`rpt:${rptHash}`), this.kv.del(`rpt-id:${record.id}`), ...(record.refreshHash ? [this.kv.del(`refresh:${record.refreshHash}`)] : [])]);
    return record;
  }
  async revokeRptById(id: string): Promise<RptRecord | undefined> {
    const rptHash = this.kv.get<string>(`rpt-id:${id}`);
    return rptHash === undefined ? undefined : this.revokeRptByHash(rptHash);
  }
  refresh(token: string): RefreshRecord | undefined { return this.kv.get(`refresh:${hash(token)}`); }
  /** Uses up this client's unexpired refresh token (one transaction): one of concurrent refreshes gets it. */
  async takeRefresh(token: string, clientId: string): Promise<RefreshRecord | undefined> {
    return this.#take<RefreshRecord>(`refresh:${hash(token)}`, (r) => r.clientId === clientId && r.exp > now());
  }
  async revokeRefresh(token: string): Promise<RefreshRecord | undefined> {
    const record = this.refresh(token);
    if (record) await this.kv.del(`refresh:${hash(token)}`);
    return record;
  }

  // --- PCTs (UMA Grant §3.3.5, §5.2): references to claims held here, bound to the client ---
  async issuePct(clientId: string, claims: RqpClaims): Promise<string> {
    const pct = newSecret();
    const iat = now();
    const record: PctRecord = { id: randomUUID(), clientId, claims, iat, exp: iat + this.lifetimes.pct };
    await Promise.all([this.kv.put(`pct:${hash(pct)}`, record, this.lifetimes.pct), this.kv.put(`pct-id:${record.id}`, hash(pct), this.lifetimes.pct)]);
    return pct;
  }
  pct(token: string): PctRecord | undefined { return this.kv.get(`pct:${hash(token)}`); }
  pcts(): PctRecord[] {
    return this.kv.list<string>('pct-id:').map((e) => this.kv.get<PctRecord>(`pct:${e.value}`)).filter((r): r is PctRecord => r !== undefined);
  }
  async revokePct(token: string): Promise<boolean> {
    const record = this.pct(token);
    if (!record) return false;
    await Promise.all([this.kv.del(`pct:${hash(token)}`), this.kv.del(`pct-id:${record.id}`)]);
    return true;
  }
  async revokePctById(id: string): Promise<PctRecord | undefined> {
    const pctHash = this.kv.get<string>(`pct-id:${id}`);
    if (pctHash === undefined) return undefined;
    const record = this.kv.get<PctRecord>(`pct:${pctHash}`);
    await Promise.all([this.kv.del(`pct:${pctHash}`), this.kv.del(`pct-id:${id}`)]);
    return record;
  }

  // --- pending requests (request_submitted) ---
  request(id: string): PendingRequest | undefined { return this.kv.get(`request:${id}`); }
  requests(owner: string): PendingRequest[] {
    return this.kv.list<PendingRequest>('request:').map((e) => e.value).filter((r) => r.owner === owner).sort((a, b) => b.createdAt - a.createdAt);
  }
  async saveRequest(request: PendingRequest): Promise<void> { await this.kv.put(`request:${request.id}`, request, 30 * 86400); }
  /**
   * Kate's approval is good for one grant ("only with my approval each time"): turns an approved
   * request into a used one in one store transaction and says whether this caller did it. Of any
   * number of concurrent polls on the same approval exactly one gets `true`.
   */
  async useApproval(id: string): Promise<boolean> {
    return this.kv.update<PendingRequest>(`request:${id}`, (r) => (r?.status === 'approved' ? { ...r, status: 'used' } : KEEP));
  }
  /**
   * Kate's decision on a pending request, in one transaction: only a request still pending is
   * decided (a double submit or two tabs cannot turn an approval already used back into "approved").
   */
  async decideRequest(id: string, owner: string, status: 'approved' | 'denied'): Promise<PendingRequest | undefined> {
    let decided: PendingRequest | undefined;
    await this.kv.update<PendingRequest>(`request:${id}`, (r) => {
      if (r?.owner !== owner || r.status !== 'pending') return KEEP;
      decided = { ...r, status, decidedAt: now() };
      return decided;
    });
    return decided;
  }
  /** An open (pending or approved-unused) request of this requester and client for these resources, to avoid asking Kate twice. */
  openRequest(owner: string, clientId: string, sub: string, issuer: string, resourceIds: string[]): PendingRequest | undefined {
    const key = [...resourceIds].sort().join(' ');
    return this.requests(owner).find((r) => (r.status === 'pending' || r.status === 'approved') && r.clientId === clientId
      && r.requester.sub === sub && r.requester.issuer === issuer && r.permissions.map((p) => p.resource_id).sort().join(' ') === key);
  }

  // --- access log ---
  async log(entry: Omit<AccessLogEntry, 'at'>): Promise<void> {
    const at = Date.now();
    await this.kv.put(`log:${entry.owner}:${String(at).padStart(15, '0')}-${randomBytes(4).toString('hex')}`, { ...entry, at: Math.floor(at / 1000) }, 90 * 86400);
  }
  accessLog(owner: string, limit = 100): AccessLogEntry[] {
    return this.kv.list<AccessLogEntry>(`log:${owner}:`).map((e) => e.value).reverse().slice(0, limit);
  }
}
