/**
 * The credentials shape shared by the credential sources (Docker config, credential helpers) and the
 * registry client's authentication.
 *
 * @module image/credentials/types
 */

/** A user name and password (or token used as password) for a registry. */
export interface RegistryCredentials {
  username: string;
  password: string;
  /**
   * An OAuth2 refresh token (Docker config `identitytoken`): exchanged at the token realm with
   * `POST grant_type=refresh_token`; `username`/`password` are then unused.
   */
  identityToken?: string;
}
