/**
 * oidc-provider's storage adapter over the demo's key-value store, so sessions, grants, clients
 * registered dynamically and issued tokens (PATs, ID-provider codes and refresh tokens) survive a
 * restart. Interface: https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { KeyValueStore } from './kv';

export function oidcAdapterFactory(kv: KeyValueStore): (name: string) => Adapter {
  return (name: string) => new KvAdapter(kv, name);
}

class KvAdapter implements Adapter {
  constructor(private readonly kv: KeyValueStore, private readonly name: string) {}

  #key(id: string) { return `oidc:${this.name}:${id}`; }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const writes = [this.kv.put(this.#key(id), payload, expiresIn || undefined)];
    if (payload.grantId) {
      const index = `oidc-grant:${payload.grantId}:${this.name}:${id}`;
      writes.push(this.kv.put(index, 1, expiresIn || undefined));
    }
    if (payload.userCode) writes.push(this.kv.put(`oidc-usercode:${this.name}:${payload.userCode}`, id, expiresIn || undefined));
    if (payload.uid) writes.push(this.kv.put(`oidc-uid:${this.name}:${payload.uid}`, id, expiresIn || undefined));
    await Promise.all(writes);
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return Promise.resolve(this.kv.get<AdapterPayload>(this.#key(id)));
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.kv.get<string>(`oidc-usercode:${this.name}:${userCode}`);
    return Promise.resolve(id === undefined ? undefined : this.kv.get<AdapterPayload>(this.#key(id)));
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.kv.get<string>(`oidc-uid:${this.name}:${uid}`);
    return Promise.resolve(id === undefined ? undefined : this.kv.get<AdapterPayload>(this.#key(id)));
  }

  async consume(id: string): Promise<void> {
    const payload = this.kv.get<AdapterPayload>(this.#key(id));
    if (payload) await this.kv.put(this.#key(id), { ...payload, consumed: Math.floor(Date.now() / 1000) }, payload.exp ? payload.exp - Math.floor(Date.now() / 1000) : undefined);
  }

  async destroy(id: string): Promise<void> { await this.kv.del(this.#key(id)); }

  /**
   * oidc-provider calls this on each token model's adapter (AccessToken, RefreshToken, …): revoke
   * only this model's entries. Across models it also deleted the Interaction of a sign-in that
   * switches accounts (the provider's logout of the old session revokes its grant mid-interaction),
   * so the sign-in ended in "interaction session not found".
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const { key } of this.kv.list(`oidc-grant:${grantId}:${this.name}:`)) {
      const [, , name, ...rest] = key.split(':');
      writes.push(this.kv.del(`oidc:${name}:${rest.join(':')}`), this.kv.del(key));
    }
    await Promise.all(writes);
  }
}
