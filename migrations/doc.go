// Package migrations embeds scopestore's SQL migrations, numbered for goose:
// the tables of its own configuration store and the cf_session_data,
// cf_client_data, cf_application_data and cf_server_data tables in which
// datasource storages keep scopes. It imports nothing of the project; the
// stores that own each schema run its migrations.
package migrations
