// Ambient declarations for the renderer bundle (Vite): stylesheet imports.
declare module '*.css';
// Vite's `?url` imports: the address of an emitted asset (the pdf.js worker).
declare module '*?url' { const url: string; export default url; }
