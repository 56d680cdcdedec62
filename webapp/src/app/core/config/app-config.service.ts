import { HttpBackend, HttpClient } from '@angular/common/http';
import { Injectable, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

/** Settings read at start-up from /config.json, so one build serves every environment. */
export interface AppConfig {
  /** Where the API lives: a path on this origin (default `/api`) or an absolute URL. */
  apiBaseUrl: string;
}

export const DEFAULT_CONFIG: AppConfig = { apiBaseUrl: '/api' };

export const CONFIG_URL = '/config.json';

@Injectable({ providedIn: 'root' })
export class AppConfigService {
  // A client without interceptors: the config decides what the interceptors do.
  private readonly http = new HttpClient(inject(HttpBackend));
  private readonly current = signal<AppConfig>(DEFAULT_CONFIG);

  readonly config = this.current.asReadonly();

  get apiBaseUrl(): string {
    return this.current().apiBaseUrl;
  }

  /** Builds the URL of an API path such as `/me`. */
  api(path: string): string {
    return this.apiBaseUrl + path;
  }

  /** Whether a request URL targets the API (and so gets the token and status tracking). */
  isApiUrl(url: string): boolean {
    const base = this.apiBaseUrl;
    return url === base || url.startsWith(base + '/');
  }

  /** Loads /config.json; a missing or broken file leaves the defaults, with a console warning. */
  async load(): Promise<void> {
    try {
      const raw = await firstValueFrom(
        this.http.get<unknown>(CONFIG_URL, { headers: { 'Cache-Control': 'no-cache' } }),
      );
      this.current.set(parseConfig(raw));
    } catch (err) {
      console.warn(`Could not load ${CONFIG_URL}; using the defaults.`, err);
    }
  }
}

/** Validates the file's content, keeping defaults for anything absent or malformed. */
export function parseConfig(raw: unknown): AppConfig {
  const config = { ...DEFAULT_CONFIG };
  if (raw && typeof raw === 'object' && 'apiBaseUrl' in raw) {
    const base = (raw as { apiBaseUrl: unknown }).apiBaseUrl;
    if (typeof base === 'string' && base.trim() !== '') {
      config.apiBaseUrl = base.trim().replace(/\/+$/, '');
    } else {
      console.warn(
        `${CONFIG_URL}: apiBaseUrl must be a non-empty string; using ${config.apiBaseUrl}.`,
      );
    }
  }
  return config;
}
