const STORAGE_KEY = 'trosyn.console.adminKey';

// Where the key lives when the browser refuses storage: as long as the page.
let inMemory: string | undefined;

/**
 * The admin key the operator typed, kept for this browser tab's session only
 * (`sessionStorage`: gone when the tab closes, never sent anywhere but this node).
 */
export const adminKeyStore = {
  get(): string | undefined {
    try {
      return sessionStorage.getItem(STORAGE_KEY) ?? inMemory;
    } catch {
      return inMemory;
    }
  },
  set(key: string): void {
    inMemory = key;
    try {
      sessionStorage.setItem(STORAGE_KEY, key);
    } catch {
      // storage disabled: kept in memory only
    }
  },
  clear(): void {
    inMemory = undefined;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // storage disabled: nothing kept
    }
  },
};
