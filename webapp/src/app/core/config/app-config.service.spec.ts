import { TestBed } from '@angular/core/testing';
import { HttpTestingController } from '@angular/common/http/testing';
import { provideTestHttp } from '../../testing/http';
import { AppConfigService, CONFIG_URL, parseConfig } from './app-config.service';

describe('AppConfigService', () => {
  let service: AppConfigService;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: provideTestHttp() });
    service = TestBed.inject(AppConfigService);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('reads apiBaseUrl from /config.json at start-up', async () => {
    const done = service.load();
    http.expectOne(CONFIG_URL).flush({ apiBaseUrl: 'https://api.example.test/v1/' });
    await done;
    expect(service.apiBaseUrl).toBe('https://api.example.test/v1');
    expect(service.api('/me')).toBe('https://api.example.test/v1/me');
  });

  it('keeps the default /api when the file is missing', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const done = service.load();
    http.expectOne(CONFIG_URL).flush('not found', { status: 404, statusText: 'Not Found' });
    await done;
    expect(service.apiBaseUrl).toBe('/api');
    expect(warn).toHaveBeenCalled();
  });

  it('tells API URLs from others', () => {
    expect(service.isApiUrl('/api/me')).toBe(true);
    expect(service.isApiUrl('/api')).toBe(true);
    expect(service.isApiUrl('/apiary')).toBe(false);
    expect(service.isApiUrl('/config.json')).toBe(false);
  });
});

describe('parseConfig', () => {
  it('falls back to defaults for anything malformed', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(parseConfig(null).apiBaseUrl).toBe('/api');
    expect(parseConfig({ apiBaseUrl: 42 }).apiBaseUrl).toBe('/api');
    expect(parseConfig({ apiBaseUrl: '  ' }).apiBaseUrl).toBe('/api');
    expect(parseConfig({ other: true }).apiBaseUrl).toBe('/api');
  });
});
