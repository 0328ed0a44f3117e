"""Accounts use Django's User; a Person links to at most one User (meded.org.models.Person.user).
Roles are memberships on the organization (ProgramRole, InstitutionRole)."""
