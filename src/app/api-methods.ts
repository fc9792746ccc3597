/**
 * The API's method names, with no dependencies, for the Electron preload (which exposes one function
 * per name). src/app/api.ts checks at compile time that this list matches the contract.
 */
export const API_METHOD_NAMES = [
  'getState', 'openResource', 'addResource', 'removeResource', 'trustAs', 'untrustAs', 'discovery',
  'signIn', 'signOut', 'actAs', 'forgetToken', 'revealToken', 'cancelFlow', 'exportTranscript',
  'checkAs', 'cancelCheck', 'getCheckRun', 'exportCheckReport',
  'clearHistory', 'setTheme',
  'renameResource', 'addAs', 'reopenBrowser',
  'setPreferences', 'setAsDpop', 'unlock', 'createVault', 'keepNothing', 'startNewVault', 'dismissNotice', 'protectVault', 'retryVault',
  'saveKeycloakEvents', 'removeKeycloakEvents',
] as const;
export type ApiMethodName = (typeof API_METHOD_NAMES)[number];

/**
 * The HTTP methods a person may use on a resource: the one list, for the contract's zod enum
 * (src/app/api.ts) and the request builder (renderer/components/RequestBuilder.tsx).
 */
export const HTTP_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** IPC channel names. */
export const IPC_CALL = 'tessera:call';
export const IPC_EVENT = 'tessera:event';
