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
