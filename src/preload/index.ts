/**
 * The preload: exposes one function per API method and `subscribe` on `window.tessera` through
 * contextBridge — never `ipcRenderer` itself. Each function returns the main process's envelope
 * (`{ ok, result | error }`); the renderer turns errors into typed ones.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHOD_NAMES, IPC_CALL, IPC_EVENT } from '../app/api-methods';

export function buildBridge(ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>) {
  const bridge: Record<string, unknown> = {};
  for (const method of API_METHOD_NAMES) bridge[method] = (input: unknown) => ipc.invoke(IPC_CALL, method, input);
  bridge.subscribe = (listener: (event: unknown) => void) => {
    const handler = (_e: IpcRendererEvent, event: unknown) => listener(event);
    ipc.on(IPC_EVENT, handler);
    return () => { ipc.removeListener(IPC_EVENT, handler); };
  };
  return Object.freeze(bridge);
}

contextBridge.exposeInMainWorld('tessera', buildBridge(ipcRenderer));
