#!/usr/bin/env bash
# End-to-end test: the AWS CLI v2 (Debian's, /usr/bin/aws) against a `hashless pool` that
# this script starts on a free loopback port with an in-memory store.
#
#   tests/e2e/aws-cli.sh path/to/hashless
#
# Prints one `ok - ...` / `not ok - ...` line per assertion and `N passed, M failed` at the
# end; exits non-zero if any assertion failed. Set HASHLESS_E2E_KEEP=1 to keep the work
# directory (server log, uploaded CSV) after the run.
# jq programs below are single-quoted on purpose: their $names are jq variables.
# shellcheck disable=SC2016
set -uo pipefail

AWS_CLI=${AWS_CLI:-/usr/bin/aws}
ACCESS_KEY=AKIDLOCAL
SECRET_KEY=localsecret
REGION=us-east-1

PASS=0
FAIL=0
OUT=""
ERR=""
RC=0
ENDPOINT=""
WORK=""
SERVER_PID=""
# shellcheck source=tests/e2e/lib/pool.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/pool.bash"

# --- reporting ---------------------------------------------------------------------------

# check WHAT COMMAND...: ok if COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# --- JSON helpers ------------------------------------------------------------------------

# assert_match WHAT REGEX VALUE
assert_match() {
	if [[ $3 =~ $2 ]]; then
		ok "$1"
	else
		not_ok "$1" "expected to match: $2" "got: $3"
	fi
}

# csv_from_header N: reads a GetCSVHeader response on stdin and prints a CSV file with
# that header and N users import1..importN (email verified, no phone, MFA off).
csv_from_header() {
	jq -r --argjson n "$1" '
		.CSVHeader as $h
		| ($h | join(",")),
		  (range(1; $n + 1) as $i
		   | [$h[]
		      | if . == "cognito:username" then "import\($i)"
		        elif . == "email" then "import\($i)@example.com"
		        elif . == "email_verified" then "true"
		        elif . == "phone_number_verified" then "false"
		        elif . == "cognito:mfa_enabled" then "false"
		        else "" end]
		   | join(","))'
}

# --- the AWS CLI (cog and expect_ok are in lib/pool.bash) ----------------------------------

# expect_error WHAT CODE OP ARGS...: ok if the call fails and its stderr names CODE.
expect_error() {
	local what=$1 code=$2
	shift 2
	cog "$@"
	if [[ $RC -ne 0 && $ERR == *"$code"* ]]; then
		ok "$what"
	elif [[ $RC -eq 0 ]]; then
		not_ok "$what" "expected $code, but the call succeeded" "got: ${OUT:0:400}"
	else
		not_ok "$what" "expected $code, got exit $RC: $ERR"
	fi
}

# --- the server --------------------------------------------------------------------------

# --- the test ----------------------------------------------------------------------------

main() {
	local bin=${1:-}
	if [[ -z $bin || ! -x $bin ]]; then
		printf 'usage: %s path/to/hashless\n' "$0" >&2
		exit 2
	fi
	[[ -x $AWS_CLI ]] || bail "$AWS_CLI is missing (scripts/ensure-tools installs it)"
	command -v jq >/dev/null || bail "jq is missing (scripts/ensure-tools installs it)"
	command -v curl >/dev/null || bail "curl is missing (scripts/ensure-tools installs it)"

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/hashless-e2e.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	isolate_aws_cli
	: >"$AWS_CONFIG_FILE"
	: >"$AWS_SHARED_CREDENTIALS_FILE"

	printf '# %s\n' "$("$AWS_CLI" --version 2>&1)"
	start_server "$bin"

	# --- user pool ---
	expect_ok "create-user-pool" create-user-pool --pool-name e2e \
		--policies 'PasswordPolicy={MinimumLength=8}' --auto-verified-attributes email
	local pool_id
	pool_id=$(jget .UserPool.Id)
	assert_match "pool id has the Cognito form" '^us-east-1_[0-9A-Za-z]{9}$' "$pool_id"
	require "$pool_id" "user pool id"

	expect_ok "describe-user-pool" describe-user-pool --user-pool-id "$pool_id"
	assert_jq "describe-user-pool returns the name" '.UserPool.Name == "e2e" and .UserPool.Id == $id' --arg id "$pool_id"
	assert_jq "describe-user-pool returns the password policy" '.UserPool.Policies.PasswordPolicy.MinimumLength == 8'

	expect_ok "list-user-pools" list-user-pools --max-results 10
	assert_jq "list-user-pools contains the pool" 'any(.UserPools[]; .Id == $id and .Name == "e2e")' --arg id "$pool_id"

	# --- app client ---
	expect_ok "create-user-pool-client" create-user-pool-client --user-pool-id "$pool_id" \
		--client-name e2e-app --generate-secret
	local client_id
	client_id=$(jget .UserPoolClient.ClientId)
	assert_jq "create-user-pool-client returns a client secret" '(.UserPoolClient.ClientSecret // "") | length > 0'
	require "$client_id" "client id"

	expect_ok "describe-user-pool-client" describe-user-pool-client --user-pool-id "$pool_id" --client-id "$client_id"
	assert_jq "describe-user-pool-client returns the client" \
		'.UserPoolClient.ClientId == $id and .UserPoolClient.ClientName == "e2e-app" and .UserPoolClient.UserPoolId == $pool' \
		--arg id "$client_id" --arg pool "$pool_id"

	expect_ok "list-user-pool-clients" list-user-pool-clients --user-pool-id "$pool_id"
	assert_jq "list-user-pool-clients contains the client" 'any(.UserPoolClients[]; .ClientId == $id)' --arg id "$client_id"

	# --- hosted UI configuration ---
	# A domain prefix is lowercase; the pool id's suffix is not.
	local domain
	domain="e2e-$(tr '[:upper:]' '[:lower:]' <<<"${pool_id#*_}")"
	expect_ok "create-user-pool-domain" create-user-pool-domain --user-pool-id "$pool_id" --domain "$domain"
	expect_ok "describe-user-pool-domain" describe-user-pool-domain --domain "$domain"
	assert_jq "describe-user-pool-domain names the pool" \
		'.DomainDescription.UserPoolId == $pool and .DomainDescription.Domain == $d and .DomainDescription.Status == "ACTIVE"' \
		--arg pool "$pool_id" --arg d "$domain"
	cog describe-user-pool --user-pool-id "$pool_id"
	assert_jq "describe-user-pool shows the domain" '.UserPool.Domain == $d' --arg d "$domain"
	expect_error "a domain with a reserved word is refused" InvalidParameterException \
		create-user-pool-domain --user-pool-id "$pool_id" --domain my-cognito-e2e

	expect_ok "create-resource-server" create-resource-server --user-pool-id "$pool_id" \
		--identifier orders --name Orders --scopes 'ScopeName=read,ScopeDescription=Read orders'
	assert_jq "create-resource-server returns its scopes" \
		'.ResourceServer.Identifier == "orders" and [.ResourceServer.Scopes[].ScopeName] == ["read"]'
	expect_ok "create-user-pool-client with a custom scope" create-user-pool-client --user-pool-id "$pool_id" \
		--client-name e2e-web --allowed-o-auth-flows-user-pool-client --allowed-o-auth-flows code \
		--allowed-o-auth-scopes openid orders/read --callback-urls https://app.example.com/callback \
		--supported-identity-providers COGNITO
	assert_jq "the OAuth client allows the custom scope" '.UserPoolClient.AllowedOAuthScopes | index("orders/read") != null'
	expect_error "a scope no resource server defines is refused" ScopeDoesNotExistException \
		create-user-pool-client --user-pool-id "$pool_id" --client-name e2e-bad --allowed-o-auth-flows-user-pool-client \
		--allowed-o-auth-flows code --allowed-o-auth-scopes orders/write --callback-urls https://app.example.com/callback

	# A 1x1 PNG for the logo.
	base64 -d >"$WORK/logo.png" <<<'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNQckkDAAFYAM11wf4aAAAAAElFTkSuQmCC'
	expect_ok "set-ui-customization with a logo" set-ui-customization --user-pool-id "$pool_id" \
		--css '.banner-customizable { background-color: #224466; }' --image-file "fileb://$WORK/logo.png"
	assert_jq "set-ui-customization returns the CSS and a logo URL" \
		'.UICustomization.ClientId == "ALL" and (.UICustomization.CSS | contains("#224466"))
		 and (.UICustomization.ImageUrl | contains("/" + $pool + "/_ui/image?client_id=ALL"))' --arg pool "$pool_id"
	expect_ok "get-ui-customization for a client" get-ui-customization --user-pool-id "$pool_id" --client-id "$client_id"
	assert_jq "a client without its own customization gets the pool's" \
		'.UICustomization.ClientId == "ALL" and (.UICustomization.CSS | contains("#224466"))'
	expect_error "CSS that imports a sheet is refused" InvalidParameterException \
		set-ui-customization --user-pool-id "$pool_id" --css '@import url(https://evil.example.com/x.css);'
	printf 'GIF89a' >"$WORK/logo.gif"
	expect_error "a logo that is not PNG or JPEG is refused" InvalidParameterException \
		set-ui-customization --user-pool-id "$pool_id" --image-file "fileb://$WORK/logo.gif"

	# --- users ---
	expect_ok "admin-create-user alice" admin-create-user --user-pool-id "$pool_id" --username alice \
		--user-attributes Name=email,Value=alice@example.com Name=email_verified,Value=true \
		--temporary-password 'Temp-Passw0rd!'
	assert_jq "a new user must change the temporary password" '.User.Username == "alice" and .User.UserStatus == "FORCE_CHANGE_PASSWORD"'

	expect_ok "admin-get-user alice" admin-get-user --user-pool-id "$pool_id" --username alice
	assert_jq "admin-get-user returns alice's email and status" \
		'.Username == "alice" and .UserStatus == "FORCE_CHANGE_PASSWORD" and .Enabled == true
		 and any(.UserAttributes[]; .Name == "email" and .Value == "alice@example.com")'

	expect_ok "admin-update-user-attributes given_name" admin-update-user-attributes --user-pool-id "$pool_id" \
		--username alice --user-attributes Name=given_name,Value=Alice
	cog admin-get-user --user-pool-id "$pool_id" --username alice
	assert_jq "the updated given_name is stored" 'any(.UserAttributes[]; .Name == "given_name" and .Value == "Alice")'

	expect_ok "admin-set-user-password --permanent" admin-set-user-password --user-pool-id "$pool_id" \
		--username alice --password 'Perm-Passw0rd!' --permanent
	cog admin-get-user --user-pool-id "$pool_id" --username alice
	assert_jq "a permanent password confirms the user" '.UserStatus == "CONFIRMED"'

	expect_ok "admin-disable-user" admin-disable-user --user-pool-id "$pool_id" --username alice
	cog admin-get-user --user-pool-id "$pool_id" --username alice
	assert_jq "a disabled user has Enabled false" '.Enabled == false'
	expect_ok "admin-enable-user" admin-enable-user --user-pool-id "$pool_id" --username alice
	cog admin-get-user --user-pool-id "$pool_id" --username alice
	assert_jq "an enabled user has Enabled true" '.Enabled == true'

	expect_ok "list-users with an email filter" list-users --user-pool-id "$pool_id" --filter 'email = "alice@example.com"'
	assert_jq "the email filter finds exactly alice" '(.Users | length) == 1 and .Users[0].Username == "alice"'
	expect_ok "list-users with a prefix filter" list-users --user-pool-id "$pool_id" --filter 'email ^= "nobody"'
	assert_jq "the prefix filter finds no one" '(.Users | length) == 0'

	# --- groups ---
	expect_ok "create-group" create-group --user-pool-id "$pool_id" --group-name admins \
		--description 'E2E admins' --precedence 1
	assert_jq "create-group returns the group" '.Group.GroupName == "admins" and .Group.UserPoolId == $pool' --arg pool "$pool_id"
	expect_ok "admin-add-user-to-group" admin-add-user-to-group --user-pool-id "$pool_id" --username alice --group-name admins
	expect_ok "admin-list-groups-for-user" admin-list-groups-for-user --user-pool-id "$pool_id" --username alice
	assert_jq "alice is in admins" '[.Groups[].GroupName] == ["admins"]'
	expect_ok "list-users-in-group" list-users-in-group --user-pool-id "$pool_id" --group-name admins
	assert_jq "admins holds alice" '[.Users[].Username] == ["alice"]'
	expect_ok "admin-remove-user-from-group" admin-remove-user-from-group --user-pool-id "$pool_id" \
		--username alice --group-name admins
	cog admin-list-groups-for-user --user-pool-id "$pool_id" --username alice
	assert_jq "alice is in no group after removal" '(.Groups | length) == 0'
	expect_ok "delete-group" delete-group --user-pool-id "$pool_id" --group-name admins
	expect_error "admin-add-user-to-group on a deleted group fails" ResourceNotFoundException \
		admin-add-user-to-group --user-pool-id "$pool_id" --username alice --group-name admins

	# --- user import ---
	expect_ok "get-csv-header" get-csv-header --user-pool-id "$pool_id"
	assert_jq "the CSV header has cognito:username" '.CSVHeader | index("cognito:username") != null'
	local header=$OUT
	csv_from_header 3 <<<"$header" >"$WORK/users.csv" 2>/dev/null ||
		not_ok "build the import CSV from the header"

	expect_ok "create-user-import-job" create-user-import-job --user-pool-id "$pool_id" --job-name j1 \
		--cloud-watch-logs-role-arn arn:aws:iam::123456789012:role/import
	local job_id url
	job_id=$(jget .UserImportJob.JobId)
	url=$(jget .UserImportJob.PreSignedUrl)
	assert_jq "the import job has a pre-signed URL" '(.UserImportJob.PreSignedUrl // "") | startswith("http")'
	assert_jq "the new import job is Created" '.UserImportJob.Status == "Created" and .UserImportJob.JobName == "j1"'
	require "$job_id" "import job id"
	require "$url" "pre-signed URL"

	check "upload the CSV to the pre-signed URL" \
		curl -sf -o /dev/null --max-time 30 -X PUT -H 'x-amz-server-side-encryption: aws:kms' \
		--data-binary @"$WORK/users.csv" "$url"

	expect_ok "start-user-import-job" start-user-import-job --user-pool-id "$pool_id" --job-id "$job_id"
	local i status=""
	for ((i = 0; i < 120; i++)); do
		cog describe-user-import-job --user-pool-id "$pool_id" --job-id "$job_id"
		status=$(jget .UserImportJob.Status)
		case $status in
		Succeeded | Failed | Stopped | Expired) break ;;
		esac
		sleep 0.5
	done
	assert_jq "the import job succeeds" '.UserImportJob.Status == "Succeeded"'
	assert_jq "the import job imported 3 users" '.UserImportJob.ImportedUsers == 3 and (.UserImportJob.FailedUsers // 0) == 0'

	expect_ok "list-users after the import" list-users --user-pool-id "$pool_id"
	assert_jq "imported users must reset their password" \
		'[.Users[] | select(.Username | startswith("import"))] as $u
		 | ($u | length) == 3 and all($u[]; .UserStatus == "RESET_REQUIRED")'

	# --- errors ---
	expect_error "admin-get-user of an unknown user" UserNotFoundException \
		admin-get-user --user-pool-id "$pool_id" --username nobody-here
	AWS_SECRET_ACCESS_KEY=wrong expect_error "a wrong secret key is refused" InvalidSignatureException \
		list-user-pools --max-results 10
	AWS_ACCESS_KEY_ID=AKIDUNKNOWN expect_error "an unknown access key id is refused" UnrecognizedClientException \
		list-user-pools --max-results 10

	# --- deletion ---
	expect_ok "admin-delete-user" admin-delete-user --user-pool-id "$pool_id" --username alice
	expect_error "a deleted user is gone" UserNotFoundException \
		admin-get-user --user-pool-id "$pool_id" --username alice
	expect_ok "delete-user-pool-client" delete-user-pool-client --user-pool-id "$pool_id" --client-id "$client_id"
	expect_error "a deleted client is gone" ResourceNotFoundException \
		describe-user-pool-client --user-pool-id "$pool_id" --client-id "$client_id"
	expect_ok "delete-user-pool-domain" delete-user-pool-domain --user-pool-id "$pool_id" --domain "$domain"
	cog describe-user-pool-domain --domain "$domain"
	assert_jq "a deleted domain is described by an empty description" '.DomainDescription == {}'
	expect_ok "delete-user-pool" delete-user-pool --user-pool-id "$pool_id"
	expect_error "a deleted pool is gone" ResourceNotFoundException \
		describe-user-pool --user-pool-id "$pool_id"

	summary
	[[ $FAIL -eq 0 ]]
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
