import { HttpClient } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { Component, inject } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BACKEND_HEADERS, provideTestHttp } from '../testing/http';
import { BackendStatusService } from '../core/status/backend-status.service';
import { createLoader } from './loader';

@Component({ template: '{{ data.state().status }}' })
class Host {
  private readonly http = inject(HttpClient);
  readonly data = createLoader(() => this.http.get<{ n: number }>('/api/thing'));
}

describe('createLoader', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ imports: [Host], providers: provideTestHttp() });
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => backend.verify());

  it('goes from loading to ready', async () => {
    const fixture = TestBed.createComponent(Host);
    expect(fixture.componentInstance.data.state().status).toBe('loading');
    backend.expectOne('/api/thing').flush({ n: 1 });
    await fixture.whenStable();
    expect(fixture.componentInstance.data.state()).toEqual({ status: 'ready', value: { n: 1 } });
    expect(fixture.nativeElement.textContent).toBe('ready');
  });

  it('shows unreachable, then loads again by itself when the API answers', async () => {
    const fixture = TestBed.createComponent(Host);
    backend.expectOne('/api/thing').error(new ProgressEvent('error'));
    await fixture.whenStable();
    const state = fixture.componentInstance.data.state();
    expect(state.status === 'error' && state.error.kind).toBe('unreachable');

    // Any answer from the API (here a status poll) marks it reachable again.
    TestBed.inject(BackendStatusService).observeHeaders(
      new (await import('@angular/common/http')).HttpHeaders(BACKEND_HEADERS),
    );
    await fixture.whenStable();
    backend.expectOne('/api/thing').flush({ n: 2 });
    await fixture.whenStable();
    expect(fixture.componentInstance.data.state()).toEqual({ status: 'ready', value: { n: 2 } });
  });
});
