import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Title } from '@angular/platform-browser';
import { SessionStore } from '../../core/auth/session.store';
import { liveSession, provideTestHttp } from '../../testing/http';
import { PublicProfilePage } from './public-profile';

describe('PublicProfilePage', () => {
  let fixture: ComponentFixture<PublicProfilePage>;
  let el: HTMLElement;
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ imports: [PublicProfilePage], providers: provideTestHttp() });
    backend = TestBed.inject(HttpTestingController);
    TestBed.inject(SessionStore).start(liveSession()); // signed in as user 7
    fixture = TestBed.createComponent(PublicProfilePage);
    el = fixture.nativeElement;
  });

  afterEach(() => {
    backend.verify();
    TestBed.inject(SessionStore).clear();
  });

  async function open(id: number, profile: object) {
    fixture.componentRef.setInput('id', String(id));
    await fixture.whenStable();
    backend.expectOne(`/api/users/${id}`).flush(profile);
    await fixture.whenStable();
  }

  it('shows the first name and the last initial, and nothing that depends on the age', async () => {
    await open(12, { id: 12, firstName: 'Ada', lastInitial: 'L' });
    expect(el.querySelector('[data-testid=public-name]')?.textContent?.trim()).toBe('Ada L.');
    expect(el.querySelector('.avatar')?.textContent).toBe('AL');
    expect(el.querySelector('.muted')?.textContent?.trim()).toBe('Member 12');
    expect(TestBed.inject(Title).getTitle()).toBe('Ada L. · empctl');
    expect(el.textContent).not.toMatch(/age|under 18|private/i);
    expect(el.querySelector('[data-testid=public-hint]')).toBeNull();
  });

  it('keeps an emoji or accented first character whole in the avatar', async () => {
    await open(13, { id: 13, firstName: '😀 Zoë', lastInitial: 'É' });
    expect(el.querySelector('.avatar')?.textContent).toBe('😀É');
    expect(el.querySelector('[data-testid=public-name]')?.textContent?.trim()).toBe('😀 Zoë É.');
  });

  it('tells the owner this is what other members see', async () => {
    await open(7, { id: 7, firstName: 'Ada', lastInitial: 'L' });
    expect(el.querySelector('[data-testid=public-hint]')?.textContent).toContain(
      'your first name and the initial of your last name',
    );
  });
});
