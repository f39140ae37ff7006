"""Auth: users, organisations, memberships, roles, tokens and signing keys.

Other services never import this package's internals: they verify access tokens
locally with the JWKS it serves (`nexus.core.security`) and talk to it through
`nexus.auth.client`, or react to the `auth.*` events of `nexus.auth.events`.
"""
