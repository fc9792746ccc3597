/** The contract's request-builder input (openResource): methods, headers, body and scopes are bounded at the trust boundary. */
import { describe, expect, it } from 'vitest';
import { ApiInputError, parseCall } from '../../src/app/api';

const url = 'http://127.0.0.1:4403/patients/kate/prescriptions';

describe('openResource as a request builder', () => {
  it('takes method, headers, body and scopes', () => {
    const { input } = parseCall('openResource', { url, method: 'PUT', headers: { Accept: 'application/json', 'X-Trace': 'demo' }, body: '{}', scopes: ['read', 'write'] });
    expect(input).toEqual({ url, method: 'PUT', headers: { Accept: 'application/json', 'X-Trace': 'demo' }, body: '{}', scopes: ['read', 'write'], waitSeconds: 0 });
    expect(parseCall('openResource', { url }).input).toEqual({ url, method: 'GET', waitSeconds: 0 });
  });
  it('refuses transport headers, header injection, odd methods and non-scopes', () => {
    expect(() => parseCall('openResource', { url, headers: { Host: 'evil.example' } })).toThrow(ApiInputError);
    expect(() => parseCall('openResource', { url, headers: { 'Content-Length': '3' } })).toThrow(/Content-Length/);
    expect(() => parseCall('openResource', { url, headers: { 'X-A': 'a\r\nX-B: b' } })).toThrow(/line breaks/);
    expect(() => parseCall('openResource', { url, headers: { 'bad name': 'x' } })).toThrow(ApiInputError);
    expect(() => parseCall('openResource', { url, method: 'TRACE' })).toThrow(ApiInputError);
    expect(() => parseCall('openResource', { url, scopes: ['read write'] })).toThrow(/scope/);
    expect(() => parseCall('openResource', { url, scopes: ['a"b'] })).toThrow(/scope/);
  });
});

describe('openResource with Keycloak options', () => {
  const kc = 'http://127.0.0.1:8080/realms/kate';
  it('takes the realm, audience, permissions, the answer mode and submit_request (defaults: an RPT, submit on)', () => {
    expect(parseCall('openResource', { url, keycloak: { asIssuer: kc, audience: 'health-records', permissions: ['prescriptions#read', 'Album 42#view,download', '#read'], responseMode: 'decision', submitRequest: false } }).input).toMatchObject({
      keycloak: { asIssuer: kc, audience: 'health-records', permissions: ['prescriptions#read', 'Album 42#view,download', '#read'], responseMode: 'decision', submitRequest: false },
    });
    expect(parseCall('openResource', { url, keycloak: { asIssuer: kc, permissions: ['prescriptions'] } }).input).toMatchObject({ keycloak: { asIssuer: kc, permissions: ['prescriptions'], responseMode: 'token', submitRequest: true } });
  });
  it('refuses empty, hostile and unbounded options', () => {
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc } })).toThrow(/audience.*client id/);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: 'javascript:alert(1)', audience: 'rs' } })).toThrow(ApiInputError);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, audience: 'a b' } })).toThrow(/client id/);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, audience: 'x'.repeat(256) } })).toThrow(/client id/);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, permissions: ['#'] } })).toThrow(/resource or a scope/);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, permissions: ['a#b#c'] } })).toThrow(/one #/);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, permissions: ['a\nb'] } })).toThrow(/control/);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, permissions: ['x'.repeat(513)] } })).toThrow(/512/);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, permissions: Array.from({ length: 51 }, (_, i) => `r${i}`) } })).toThrow(/50 permissions/);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, audience: 'rs', responseMode: 'maybe' } })).toThrow(ApiInputError);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, audience: 'rs', submitRequest: 'no' } })).toThrow(ApiInputError);
    expect(() => parseCall('openResource', { url, keycloak: { asIssuer: kc, audience: 'rs', token: 'x' } })).toThrow(ApiInputError);
  });
});
