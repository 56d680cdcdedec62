import { TestBed } from '@angular/core/testing';
import { signal } from '@angular/core';
import { ReleaseNotice } from './release-notice';
import { ReleaseWatchService } from './release-watch.service';

describe('ReleaseNotice', () => {
  it('offers a reload in a live region once a newer release is live', async () => {
    const newer = signal(false);
    const watch = {
      newer,
      start: vi.fn(),
      reload: vi.fn(),
      dismiss: vi.fn(() => newer.set(false)),
    };
    TestBed.configureTestingModule({
      providers: [{ provide: ReleaseWatchService, useValue: watch }],
    });
    const fixture = TestBed.createComponent(ReleaseNotice);
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    expect(watch.start).toHaveBeenCalled();
    const region = el.querySelector('[role=status]');
    expect(region).not.toBeNull();
    expect(region?.textContent?.trim()).toBe('');

    newer.set(true);
    await fixture.whenStable();
    expect(region?.textContent).toContain('A new version of empctl is available.');
    const [reload, later] = Array.from(el.querySelectorAll('button'));
    reload.click();
    expect(watch.reload).toHaveBeenCalledTimes(1);
    later.click();
    await fixture.whenStable();
    expect(el.querySelector('[data-testid=release-notice]')).toBeNull();
  });
});
