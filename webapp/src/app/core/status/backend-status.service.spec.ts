import { HttpClient } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { BACKEND_HEADERS, provideTestHttp } from '../../testing/http';
import {
  BackendStatusService,
  CHANGE_NOTICE_MS,
  POLL_INTERVAL_MS,
  RETRY_INTERVAL_MS,
} from './backend-status.service';

const version = (v: string, instanceId: string, availabilityZone = '') => ({
  version: v,
  commit: 'abc',
  buildTime: '2026-01-01T00:00:00Z',
  instanceId,
  availabilityZone,
});

describe('BackendStatusService', () => {
  let status: BackendStatusService;
  let backend: HttpTestingController;

  beforeEach(() => {
    vi.useFakeTimers();
    TestBed.configureTestingModule({ providers: provideTestHttp() });
    status = TestBed.inject(BackendStatusService);
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    status.stop();
    backend.verify();
    vi.useRealTimers();
  });

  it('polls /api/version and shows the version, instance and zone', () => {
    status.start();
    backend.expectOne('/api/version').flush(version('v1', 'task-1', 'eu-west-1a'));
    expect(status.identity()).toEqual({
      version: 'v1',
      instanceId: 'task-1',
      availabilityZone: 'eu-west-1a',
    });

    vi.advanceTimersByTime(POLL_INTERVAL_MS);
    backend.expectOne('/api/version').flush(version('v1', 'task-2', 'eu-west-1b'));
    expect(status.identity()?.instanceId).toBe('task-2');
    expect(status.identity()?.availabilityZone).toBe('eu-west-1b');
  });

  it('follows the headers of any API response between polls', () => {
    TestBed.inject(HttpClient).get('/api/me').subscribe();
    backend.expectOne('/api/me').flush({}, { headers: BACKEND_HEADERS });
    expect(status.identity()).toEqual({
      version: 'v1.0.0',
      instanceId: 'instance-a',
      availabilityZone: '',
    });
  });

  it('follows the version header alone when the server does not name its instance', () => {
    TestBed.inject(HttpClient).get('/api/me').subscribe();
    backend.expectOne('/api/me').flush({}, { headers: { 'X-App-Version': 'v1.1.0' } });
    expect(status.identity()).toEqual({ version: 'v1.1.0', instanceId: '', availabilityZone: '' });
  });

  it('reports a version change during a rollout, then forgets it', () => {
    status.start();
    backend.expectOne('/api/version').flush(version('v1', 'a'));
    vi.advanceTimersByTime(POLL_INTERVAL_MS);
    backend.expectOne('/api/version').flush(version('v2', 'b'));
    expect(status.identity()?.version).toBe('v2');
    expect(status.changedFrom()).toBe('v1');
    expect(status.reachable()).toBe(true);
    vi.advanceTimersByTime(CHANGE_NOTICE_MS);
    backend.match('/api/version').forEach((r) => r.flush(version('v2', 'b')));
    expect(status.changedFrom()).toBeNull();
  });

  it('turns unreachable when a request gets no answer, retries faster, and recovers', () => {
    status.start();
    backend.expectOne('/api/version').flush(version('v1', 'a'));

    vi.advanceTimersByTime(POLL_INTERVAL_MS);
    backend.expectOne('/api/version').error(new ProgressEvent('error'));
    expect(status.reachable()).toBe(false);

    vi.advanceTimersByTime(RETRY_INTERVAL_MS);
    backend
      .expectOne('/api/version')
      .flush('Bad Gateway', { status: 502, statusText: 'Bad Gateway' });
    expect(status.reachable()).toBe(false);

    vi.advanceTimersByTime(RETRY_INTERVAL_MS);
    backend.expectOne('/api/version').flush(version('v1', 'a'));
    expect(status.reachable()).toBe(true);
  });

  it('counts an API error answer as reachable', () => {
    TestBed.inject(HttpClient)
      .get('/api/users/9')
      .subscribe({ error: () => undefined });
    backend
      .expectOne('/api/users/9')
      .flush(
        { error: { code: 'not_found', message: 'no' } },
        { status: 404, statusText: 'Not Found', headers: BACKEND_HEADERS },
      );
    expect(status.reachable()).toBe(true);
    expect(status.identity()?.version).toBe('v1.0.0');
  });

  it('skips polls while the tab is hidden and checks as soon as it is shown', () => {
    let hidden = false;
    vi.spyOn(document, 'hidden', 'get').mockImplementation(() => hidden);
    status.start();
    backend.expectOne('/api/version').flush(version('v1', 'a'));

    hidden = true;
    vi.advanceTimersByTime(POLL_INTERVAL_MS * 3);
    backend.expectNone('/api/version');

    hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
    backend.expectOne('/api/version').flush(version('v2', 'a'));
    expect(status.identity()?.version).toBe('v2');
  });
});
