import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, finalize, map, of, catchError } from 'rxjs';
import { AppConfigService } from '../config/app-config.service';
import { LoginResponse, SignUpRequest, User } from '../api/models';
import { SessionStore } from './session.store';

/** Sign-up, sign-in and sign-out against the API. */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly http = inject(HttpClient);
  private readonly config = inject(AppConfigService);
  private readonly session = inject(SessionStore);

  signUp(req: SignUpRequest): Observable<User> {
    return this.http.post<User>(this.config.api('/users'), req);
  }

  signIn(email: string, password: string): Observable<User> {
    return this.http.post<LoginResponse>(this.config.api('/login'), { email, password }).pipe(
      map((res) => {
        this.session.start(res);
        return res.user;
      }),
    );
  }

  /** Revokes the token on the server when it can; the local session ends either way. */
  signOut(): Observable<void> {
    if (!this.session.isSignedIn()) return of(undefined);
    return this.http.post<void>(this.config.api('/logout'), null).pipe(
      catchError(() => of(undefined)),
      finalize(() => this.session.clear()),
    );
  }
}
