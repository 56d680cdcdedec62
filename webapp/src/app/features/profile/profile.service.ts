import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, tap } from 'rxjs';
import { AppConfigService } from '../../core/config/app-config.service';
import { ProfileUpdate, User } from '../../core/api/models';
import { SessionStore } from '../../core/auth/session.store';

/** The signed-in user's own profile and password. */
@Injectable({ providedIn: 'root' })
export class ProfileService {
  private readonly http = inject(HttpClient);
  private readonly config = inject(AppConfigService);
  private readonly session = inject(SessionStore);

  me(): Observable<User> {
    return this.http
      .get<User>(this.config.api('/me'))
      .pipe(tap((user) => this.session.updateUser(user)));
  }

  update(changes: ProfileUpdate): Observable<User> {
    return this.http
      .patch<User>(this.config.api('/me'), changes)
      .pipe(tap((user) => this.session.updateUser(user)));
  }

  changePassword(currentPassword: string, newPassword: string): Observable<void> {
    return this.http.put<void>(this.config.api('/me/password'), { currentPassword, newPassword });
  }
}
