import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideTestHttp } from '../../testing/http';
import { RELEASE_CHECK_MS, RELEASE_URL, ReleaseWatchService } from './release-watch.service';

const page = (main: string) =>
  `<!doctype html><html><head><link rel="stylesheet" href="styles-AAAA.css"></head>` +
  `<body><app-root></app-root><script src="${main}" type="module"></script></body></html>`;

/** Lets the awaited request and the signal update run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('ReleaseWatchService', () => {
  let watch: ReleaseWatchService;
  let http: HttpTestingController;
  let hidden = false;

  beforeEach(() => {
    vi.useFakeTimers();
    hidden = false;
    vi.spyOn(document, 'hidden', 'get').mockImplementation(() => hidden);
    // The tab runs release A.
    document.body.innerHTML = '<script src="main-AAAAAAAA.js" type="module"></script>';
    TestBed.configureTestingModule({ providers: provideTestHttp() });
    watch = TestBed.inject(ReleaseWatchService);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    watch.stop();
    http.verify();
    vi.useRealTimers();
    vi.restoreAllMocks();
    document.body.innerHTML = '';
  });

  function answer(html: string): void {
    const req = http.expectOne(RELEASE_URL);
    expect(req.request.headers.get('Cache-Control')).toBe('no-cache');
    req.flush(html);
  }

  it('stays quiet while the release it runs is live, on every interval', async () => {
    watch.start();
    for (let i = 0; i < 2; i++) {
      vi.advanceTimersByTime(RELEASE_CHECK_MS);
      answer(page('main-AAAAAAAA.js'));
      await settle();
      expect(watch.newer()).toBe(false);
    }
  });

  it('learns within one interval that another release is live', async () => {
    watch.start();
    vi.advanceTimersByTime(RELEASE_CHECK_MS - 1);
    http.expectNone(RELEASE_URL);
    vi.advanceTimersByTime(1);
    answer(page('main-BBBBBBBB.js'));
    await settle();
    expect(watch.newer()).toBe(true);
  });

  it('does not poll from a hidden tab, and checks at once when it is shown', async () => {
    watch.start();
    hidden = true;
    vi.advanceTimersByTime(RELEASE_CHECK_MS * 3);
    http.expectNone(RELEASE_URL);
    hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
    answer(page('main-BBBBBBBB.js'));
    await settle();
    expect(watch.newer()).toBe(true);
  });

  it('once dismissed, stays quiet until yet another release is live', async () => {
    const check = async (main: string) => {
      const done = watch.check();
      answer(page(main));
      await done;
    };
    await check('main-BBBBBBBB.js');
    expect(watch.newer()).toBe(true);
    watch.dismiss();
    expect(watch.newer()).toBe(false);
    await check('main-BBBBBBBB.js');
    expect(watch.newer()).toBe(false);
    await check('main-CCCCCCCC.js');
    expect(watch.newer()).toBe(true);
  });

  it('keeps quiet when the site cannot be reached, and never reloads by itself', async () => {
    const reload = vi.spyOn(watch, 'reload').mockImplementation(() => undefined);
    const done = watch.check();
    http.expectOne(RELEASE_URL).error(new ProgressEvent('error'));
    await done;
    expect(watch.newer()).toBe(false);
    const next = watch.check();
    answer(page('main-BBBBBBBB.js'));
    await next;
    expect(watch.newer()).toBe(true);
    expect(reload).not.toHaveBeenCalled();
  });
});
