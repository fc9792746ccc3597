/**
 * Saving a file from the page: the browser's download (Electron's will-download in the desktop
 * app). Text goes through a short-lived blob: URL, which the page's CSP allows.
 */

/** Saves `href` (a data: or blob: URL) as `filename`. */
export function saveHref(filename: string, href: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}

/** Saves `text` as `filename` of type `mime` (exports, reports). */
export function saveText(filename: string, mime: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  saveHref(filename, url);
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
