import { Component, computed, effect, inject, input, untracked } from '@angular/core';
import { Title } from '@angular/platform-browser';
import { RouterLink } from '@angular/router';
import { of } from 'rxjs';
import { PublicProfile } from '../../core/api/models';
import { SessionStore } from '../../core/auth/session.store';
import { ApiNotice } from '../../shared/api-notice';
import { createLoader } from '../../shared/loader';
import { UsersService } from './users.service';

@Component({
  selector: 'app-public-profile',
  imports: [RouterLink, ApiNotice],
  templateUrl: './public-profile.html',
})
export class PublicProfilePage {
  /** The :id route parameter, bound by the router. */
  readonly id = input.required<string>();

  private readonly users = inject(UsersService);
  private readonly session = inject(SessionStore);
  protected readonly numericId = computed(() =>
    /^[1-9]\d*$/.test(this.id()) ? Number(this.id()) : null,
  );
  protected readonly isMe = computed(() => this.session.user()?.id === this.numericId());
  protected readonly profile = createLoader(
    () => {
      const id = this.numericId();
      return id === null ? of(null) : this.users.publicProfile(id);
    },
    { immediate: false },
  );

  constructor() {
    effect(() => {
      this.id();
      untracked(() => this.profile.reload());
    });
    // The tab and history name the person, once known.
    const title = inject(Title);
    effect(() => {
      const s = this.profile.state();
      if (s.status === 'ready' && s.value) {
        title.setTitle(`${displayName(s.value)} · empctl`);
      }
    });
  }

  protected readonly displayName = displayName;

  protected initials(p: PublicProfile): string {
    return (firstCharacter(p.firstName) + p.lastInitial).toUpperCase();
  }
}

/** "Ada L.": the first name and the last name's initial, as every member sees them. */
export function displayName(p: PublicProfile): string {
  return p.lastInitial ? `${p.firstName} ${p.lastInitial}.` : p.firstName;
}

/** The first user-perceived character: an emoji or an accented letter stays whole. */
function firstCharacter(s: string): string {
  for (const { segment } of new Intl.Segmenter().segment(s)) return segment;
  return '';
}
