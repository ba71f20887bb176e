package apitest

import (
	"strings"
	"testing"

	"github.com/hashless/hashless/internal/pooltest"
)

// Every operation has an error case: a request that names something missing or breaks a
// constraint, and the exception Cognito answers it with. The table must cover the whole
// operation table, so a new operation cannot arrive without one.
func TestEveryOperationHasAnErrorCase(t *testing.T) {
	p := pooltest.Start(t, "memory")
	const missing = `"UserPoolId":"us-east-1_missing00"`
	cases := map[string]struct{ body, want string }{
		"CreateUserPool":              {`{"PoolName":"bad/name"}`, "InvalidParameterException"},
		"DescribeUserPool":            {`{` + missing + `}`, "ResourceNotFoundException"},
		"UpdateUserPool":              {`{` + missing + `}`, "ResourceNotFoundException"},
		"DeleteUserPool":              {`{` + missing + `}`, "ResourceNotFoundException"},
		"ListUserPools":               {`{"MaxResults":0}`, "InvalidParameterException"},
		"AddCustomAttributes":         {`{` + missing + `,"CustomAttributes":[{"Name":"x"}]}`, "ResourceNotFoundException"},
		"CreateUserPoolClient":        {`{` + missing + `,"ClientName":"c"}`, "ResourceNotFoundException"},
		"DescribeUserPoolClient":      {`{` + missing + `,"ClientId":"abc"}`, "ResourceNotFoundException"},
		"UpdateUserPoolClient":        {`{` + missing + `,"ClientId":"abc"}`, "ResourceNotFoundException"},
		"DeleteUserPoolClient":        {`{` + missing + `,"ClientId":"abc"}`, "ResourceNotFoundException"},
		"ListUserPoolClients":         {`{` + missing + `}`, "ResourceNotFoundException"},
		"TagResource":                 {`{"ResourceArn":"arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_missing00","Tags":{"a":"b"}}`, "ResourceNotFoundException"},
		"UntagResource":               {`{"ResourceArn":"arn:aws:s3:::not-a-user-pool","TagKeys":["a"]}`, "InvalidParameterException"},
		"ListTagsForResource":         {`{"ResourceArn":"arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_missing00"}`, "ResourceNotFoundException"},
		"AdminCreateUser":             {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"AdminGetUser":                {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"AdminDeleteUser":             {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"AdminUpdateUserAttributes":   {`{` + missing + `,"Username":"u"}`, "InvalidParameterException"},
		"AdminDeleteUserAttributes":   {`{` + missing + `,"Username":"u","UserAttributeNames":["name"]}`, "ResourceNotFoundException"},
		"AdminSetUserPassword":        {`{` + missing + `,"Username":"u","Password":" padded "}`, "InvalidParameterException"},
		"AdminResetUserPassword":      {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"AdminConfirmSignUp":          {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"AdminDisableUser":            {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"AdminEnableUser":             {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"ListUsers":                   {`{` + missing + `,"Limit":61}`, "InvalidParameterException"},
		"CreateGroup":                 {`{` + missing + `,"GroupName":"g"}`, "ResourceNotFoundException"},
		"GetGroup":                    {`{` + missing + `,"GroupName":"g"}`, "ResourceNotFoundException"},
		"UpdateGroup":                 {`{` + missing + `,"GroupName":"g","Precedence":-1}`, "InvalidParameterException"},
		"DeleteGroup":                 {`{` + missing + `,"GroupName":"g"}`, "ResourceNotFoundException"},
		"ListGroups":                  {`{` + missing + `}`, "ResourceNotFoundException"},
		"AdminAddUserToGroup":         {`{` + missing + `,"Username":"u","GroupName":"g"}`, "ResourceNotFoundException"},
		"AdminRemoveUserFromGroup":    {`{` + missing + `,"Username":"u","GroupName":"g"}`, "ResourceNotFoundException"},
		"AdminListGroupsForUser":      {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"ListUsersInGroup":            {`{` + missing + `,"GroupName":"g"}`, "ResourceNotFoundException"},
		"CreateUserPoolDomain":        {`{` + missing + `,"Domain":"some-prefix"}`, "ResourceNotFoundException"},
		"DescribeUserPoolDomain":      {`{"Domain":"Not_A_Domain"}`, "InvalidParameterException"},
		"UpdateUserPoolDomain":        {`{` + missing + `,"Domain":"some-prefix","ManagedLoginVersion":2}`, "ResourceNotFoundException"},
		"DeleteUserPoolDomain":        {`{` + missing + `,"Domain":"some-prefix"}`, "ResourceNotFoundException"},
		"CreateResourceServer":        {`{` + missing + `,"Identifier":"api","Name":"api"}`, "ResourceNotFoundException"},
		"DescribeResourceServer":      {`{` + missing + `,"Identifier":"api"}`, "ResourceNotFoundException"},
		"ListResourceServers":         {`{` + missing + `,"MaxResults":51}`, "InvalidParameterException"},
		"UpdateResourceServer":        {`{` + missing + `,"Identifier":"api","Name":"api"}`, "ResourceNotFoundException"},
		"DeleteResourceServer":        {`{` + missing + `,"Identifier":"api"}`, "ResourceNotFoundException"},
		"SetUICustomization":          {`{` + missing + `,"CSS":".banner-customizable{color:red}"}`, "ResourceNotFoundException"},
		"GetUICustomization":          {`{` + missing + `}`, "ResourceNotFoundException"},
		"GetCSVHeader":                {`{` + missing + `}`, "ResourceNotFoundException"},
		"CreateUserImportJob":         {`{` + missing + `,"JobName":"j","CloudWatchLogsRoleArn":"arn:aws:iam::123456789012:role/import"}`, "ResourceNotFoundException"},
		"StartUserImportJob":          {`{` + missing + `,"JobId":"import-abc"}`, "ResourceNotFoundException"},
		"StopUserImportJob":           {`{` + missing + `,"JobId":"not-a-job-id"}`, "InvalidParameterException"},
		"DescribeUserImportJob":       {`{` + missing + `,"JobId":"import-abc"}`, "ResourceNotFoundException"},
		"ListUserImportJobs":          {`{` + missing + `}`, "InvalidParameterException"},
		"InitiateAuth":                {`{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"nosuchclient","AuthParameters":{"USERNAME":"u","PASSWORD":"p"}}`, "ResourceNotFoundException"},
		"AdminInitiateAuth":           {`{` + missing + `,"AuthFlow":"ADMIN_USER_PASSWORD_AUTH","ClientId":"c"}`, "ResourceNotFoundException"},
		"RespondToAuthChallenge":      {`{"ClientId":"nosuchclient","ChallengeName":"NEW_PASSWORD_REQUIRED"}`, "ResourceNotFoundException"},
		"AdminRespondToAuthChallenge": {`{` + missing + `,"ClientId":"c","ChallengeName":"NEW_PASSWORD_REQUIRED"}`, "ResourceNotFoundException"},
		"GetUser":                     {`{"AccessToken":"not.a.token"}`, "NotAuthorizedException"},
		"GlobalSignOut":               {`{"AccessToken":"not-a-token"}`, "NotAuthorizedException"},
		"AdminUserGlobalSignOut":      {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"RevokeToken":                 {`{"Token":"x","ClientId":"nosuchclient"}`, "ResourceNotFoundException"},

		"SignUp":                           {`{"ClientId":"nosuchclient","Username":"u","Password":"Passw0rd!"}`, "ResourceNotFoundException"},
		"ConfirmSignUp":                    {`{"ClientId":"nosuchclient","Username":"u","ConfirmationCode":"123456"}`, "ResourceNotFoundException"},
		"ResendConfirmationCode":           {`{"ClientId":"nosuchclient","Username":"u"}`, "ResourceNotFoundException"},
		"ForgotPassword":                   {`{"ClientId":"nosuchclient","Username":"u"}`, "ResourceNotFoundException"},
		"ConfirmForgotPassword":            {`{"ClientId":"c","Username":"u","ConfirmationCode":" ","Password":"Passw0rd!"}`, "InvalidParameterException"},
		"ChangePassword":                   {`{"AccessToken":"not.a.token","PreviousPassword":"Passw0rd!","ProposedPassword":"Passw0rd!2"}`, "NotAuthorizedException"},
		"UpdateUserAttributes":             {`{"AccessToken":"not.a.token","UserAttributes":[{"Name":"name","Value":"x"}]}`, "NotAuthorizedException"},
		"DeleteUserAttributes":             {`{"AccessToken":"not.a.token","UserAttributeNames":["name"]}`, "NotAuthorizedException"},
		"DeleteUser":                       {`{"AccessToken":"not.a.token"}`, "NotAuthorizedException"},
		"GetUserAttributeVerificationCode": {`{"AccessToken":"","AttributeName":"email"}`, "InvalidParameterException"},
		"VerifyUserAttribute":              {`{"AccessToken":"not.a.token","AttributeName":"email","Code":"123456"}`, "NotAuthorizedException"},
		"SetUserPoolMfaConfig":             {`{` + missing + `,"MfaConfiguration":"OPTIONAL"}`, "ResourceNotFoundException"},
		"GetUserPoolMfaConfig":             {`{` + missing + `}`, "ResourceNotFoundException"},
		"AdminSetUserMFAPreference":        {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"AdminSetUserSettings":             {`{` + missing + `,"Username":"u","MFAOptions":[]}`, "ResourceNotFoundException"},
		"SetUserMFAPreference":             {`{"AccessToken":"not.a.token"}`, "NotAuthorizedException"},
		"SetUserSettings":                  {`{"AccessToken":"not.a.token","MFAOptions":[]}`, "NotAuthorizedException"},
		"AssociateSoftwareToken":           {`{"Session":"not-a-session"}`, "NotAuthorizedException"},
		"VerifySoftwareToken":              {`{"AccessToken":"not.a.token","UserCode":"12"}`, "InvalidParameterException"},
		"GetTokensFromRefreshToken":        {`{"ClientId":"nosuchclient","RefreshToken":"x"}`, "ResourceNotFoundException"},
		"ConfirmDevice":                    {`{"AccessToken":"not.a.token","DeviceKey":"k"}`, "NotAuthorizedException"},
		"GetDevice":                        {`{"AccessToken":"not.a.token","DeviceKey":"k"}`, "NotAuthorizedException"},
		"ListDevices":                      {`{"AccessToken":"not.a.token"}`, "NotAuthorizedException"},
		"ForgetDevice":                     {`{"AccessToken":"not.a.token","DeviceKey":"k"}`, "NotAuthorizedException"},
		"UpdateDeviceStatus":               {`{"AccessToken":"not.a.token","DeviceKey":"k"}`, "NotAuthorizedException"},
		"AdminGetDevice":                   {`{` + missing + `,"Username":"u","DeviceKey":"k"}`, "ResourceNotFoundException"},
		"AdminListDevices":                 {`{` + missing + `,"Username":"u"}`, "ResourceNotFoundException"},
		"AdminForgetDevice":                {`{` + missing + `,"Username":"u","DeviceKey":"k"}`, "ResourceNotFoundException"},
		"AdminUpdateDeviceStatus":          {`{` + missing + `,"Username":"u","DeviceKey":"k","DeviceRememberedStatus":"remembered"}`, "ResourceNotFoundException"},
	}
	for _, op := range p.Server.Operations() {
		tc, ok := cases[op]
		if !ok {
			t.Errorf("operation %s has no error case in this table", op)
			continue
		}
		t.Run(op, func(t *testing.T) {
			status, header, body := raw(t, p, op, "application/x-amz-json-1.1", []byte(tc.body), true, nil)
			wantRawError(t, status, header, body, tc.want)
			if strings.Contains(body["message"].(string), "Internal") {
				t.Fatalf("message %q", body["message"])
			}
		})
	}
}
