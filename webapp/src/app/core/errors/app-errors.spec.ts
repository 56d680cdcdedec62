import { ErrorHandler } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { NavigationError, RedirectCommand, Router } from '@angular/router';
import { App } from '../../app';
import { provideTestHttp } from '../../testing/http';
import { AppErrorHandler, isChunkLoadError, reloadOnChunkError } from './app-errors';

const chunkError = new TypeError(
  'Failed to fetch dynamically imported module: http://x/chunk-ABC.js',
);
const navError = (url: string, error: unknown) => new NavigationError(1, url, error);

function memoryStorage() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => m.set(k, v),
  };
}

describe('unexpected errors', () => {
  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({
      imports: [App],
      providers: [...provideTestHttp(), { provide: ErrorHandler, useClass: AppErrorHandler }],
    });
  });

  it('are shown on the page, not only in the console', async () => {
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    expect(el.querySelector('[data-testid=unexpected-failure]')).toBeNull();

    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    TestBed.inject(ErrorHandler).handleError(new Error('a bug'));
    await fixture.whenStable();
    expect(log).toHaveBeenCalled();
    const notice = el.querySelector('[data-testid=unexpected-failure]');
    expect(notice?.getAttribute('role')).toBe('alert');
    expect(notice?.textContent).toContain('Something went wrong on this page.');
    expect(notice?.querySelector('button')?.textContent).toContain('Reload the page');
  });
});

describe('reloadOnChunkError', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: provideTestHttp() }));

  it('recognises the browsers’ chunk-load failures only', () => {
    expect(isChunkLoadError(chunkError)).toBe(true);
    expect(isChunkLoadError(new TypeError('Importing a module script failed.'))).toBe(true);
    expect(isChunkLoadError(new Error('Cannot read properties of undefined'))).toBe(false);
  });

  it('loads the page afresh once, then lets a repeated failure through', async () => {
    await TestBed.inject(Router).navigateByUrl('/sign-in');
    const loads: string[] = [];
    const storage = memoryStorage();
    const run = (now: number) =>
      TestBed.runInInjectionContext(() =>
        reloadOnChunkError(navError('/users', chunkError), (u) => loads.push(u), storage, now),
      );

    expect(run(1000)).toBeInstanceOf(RedirectCommand);
    expect(loads).toEqual(['/users']);
    expect(run(2000)).toBeUndefined();
    expect(loads).toEqual(['/users']);
    // Much later (another release), it reloads again.
    expect(run(1000 + 60_000)).toBeInstanceOf(RedirectCommand);
    expect(loads).toEqual(['/users', '/users']);
  });

  it('leaves other navigation errors alone', () => {
    const loads: string[] = [];
    const result = TestBed.runInInjectionContext(() =>
      reloadOnChunkError(
        navError('/users', new Error('a bug')),
        (u) => loads.push(u),
        memoryStorage(),
      ),
    );
    expect(result).toBeUndefined();
    expect(loads).toEqual([]);
  });
});
