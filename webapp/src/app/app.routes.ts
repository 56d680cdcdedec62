import { Routes } from '@angular/router';
import { authGuard, guestGuard, homeRedirect } from './core/auth/auth.guard';

export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: homeRedirect },
  {
    path: 'sign-in',
    title: 'Sign in · empctl',
    canActivate: [guestGuard],
    loadComponent: () => import('./features/auth/sign-in').then((m) => m.SignIn),
  },
  {
    path: 'sign-up',
    title: 'Create account · empctl',
    canActivate: [guestGuard],
    loadComponent: () => import('./features/auth/sign-up').then((m) => m.SignUp),
  },
  {
    path: 'profile',
    title: 'Your profile · empctl',
    canActivate: [authGuard],
    loadComponent: () => import('./features/profile/profile-page').then((m) => m.ProfilePage),
  },
  {
    path: 'profile/password',
    title: 'Change password · empctl',
    canActivate: [authGuard],
    loadComponent: () => import('./features/profile/change-password').then((m) => m.ChangePassword),
  },
  {
    path: 'users',
    title: 'People · empctl',
    canActivate: [authGuard],
    loadComponent: () => import('./features/users/find-user').then((m) => m.FindUser),
  },
  {
    path: 'users/:id',
    title: 'Profile · empctl',
    canActivate: [authGuard],
    loadComponent: () => import('./features/users/public-profile').then((m) => m.PublicProfilePage),
  },
  {
    path: '**',
    title: 'Page not found · empctl',
    loadComponent: () => import('./features/not-found/not-found').then((m) => m.NotFound),
  },
];
