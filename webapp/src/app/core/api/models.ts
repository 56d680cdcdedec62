// Checked against server/openapi.json by server/webapp_models_test.go: keep the two in step.

/** The signed-in user's own profile, as /api/me, sign-up and login return it. */
export interface User {
  id: number;
  email: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  age: number;
  createdAt: string;
}

/**
 * Another user's public profile: the same fields for everyone and nothing that changes with the
 * date (no age), so it reveals nothing of the birth date. Shown as "Ada L.".
 */
export interface PublicProfile {
  id: number;
  firstName: string;
  lastInitial: string;
}

export interface SignUpRequest {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  birthDate: string;
}

export interface LoginResponse {
  token: string;
  expiresAt: string;
  user: User;
}

export type ProfileUpdate = Partial<Pick<User, 'firstName' | 'lastName' | 'birthDate'>>;

/** The rest of the fields only where the server's PUBLIC_DEBUG_INFO is on. */
export interface VersionInfo {
  version: string;
  commit: string;
  buildTime?: string;
  instanceId?: string;
  availabilityZone?: string;
}
