// Ambient declarations for the renderer bundle (Vite): stylesheet imports.
declare module '*.css';
