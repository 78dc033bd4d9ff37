/** The API key lives in sessionStorage: gone when the tab closes, never shared with other tabs. */
const KEY = 'jobplane.console.apiKey';

export function loadKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function clearKey(): void {
  sessionStorage.removeItem(KEY);
}
