package wire

import (
	"crypto/rand"

	"github.com/hashless/hashless/pool"
)

var randRead = rand.Read

// operations is the table of every implemented operation. Administrative and pool
// management operations need IAM credentials (SigV4); the user-facing ones that Cognito
// authorises by token or leaves open are registered with bind(false, …).
func operations(s *pool.Service) map[string]operation {
	return map[string]operation{
		"CreateUserPool":         admin(s.CreateUserPool),
		"DescribeUserPool":       admin(s.DescribeUserPool),
		"UpdateUserPool":         admin(s.UpdateUserPool),
		"DeleteUserPool":         admin(s.DeleteUserPool),
		"ListUserPools":          admin(s.ListUserPools),
		"AddCustomAttributes":    admin(s.AddCustomAttributes),
		"CreateUserPoolClient":   admin(s.CreateUserPoolClient),
		"DescribeUserPoolClient": admin(s.DescribeUserPoolClient),
		"UpdateUserPoolClient":   admin(s.UpdateUserPoolClient),
		"DeleteUserPoolClient":   admin(s.DeleteUserPoolClient),
		"ListUserPoolClients":    admin(s.ListUserPoolClients),
		"TagResource":            admin(s.TagResource),
		"UntagResource":          admin(s.UntagResource),
		"ListTagsForResource":    admin(s.ListTagsForResource),

		"AdminCreateUser":           admin(s.AdminCreateUser),
		"AdminGetUser":              admin(s.AdminGetUser),
		"AdminDeleteUser":           admin(s.AdminDeleteUser),
		"AdminUpdateUserAttributes": admin(s.AdminUpdateUserAttributes),
		"AdminDeleteUserAttributes": admin(s.AdminDeleteUserAttributes),
		"AdminSetUserPassword":      admin(s.AdminSetUserPassword),
		"AdminResetUserPassword":    admin(s.AdminResetUserPassword),
		"AdminConfirmSignUp":        admin(s.AdminConfirmSignUp),
		"AdminDisableUser":          admin(s.AdminDisableUser),
		"AdminEnableUser":           admin(s.AdminEnableUser),
		"ListUsers":                 admin(s.ListUsers),

		"CreateGroup":              admin(s.CreateGroup),
		"GetGroup":                 admin(s.GetGroup),
		"UpdateGroup":              admin(s.UpdateGroup),
		"DeleteGroup":              admin(s.DeleteGroup),
		"ListGroups":               admin(s.ListGroups),
		"AdminAddUserToGroup":      admin(s.AdminAddUserToGroup),
		"AdminRemoveUserFromGroup": admin(s.AdminRemoveUserFromGroup),
		"AdminListGroupsForUser":   admin(s.AdminListGroupsForUser),
		"ListUsersInGroup":         admin(s.ListUsersInGroup),

		"CreateUserPoolDomain":   admin(s.CreateUserPoolDomain),
		"DescribeUserPoolDomain": admin(s.DescribeUserPoolDomain),
		"UpdateUserPoolDomain":   admin(s.UpdateUserPoolDomain),
		"DeleteUserPoolDomain":   admin(s.DeleteUserPoolDomain),
		"CreateResourceServer":   admin(s.CreateResourceServer),
		"DescribeResourceServer": admin(s.DescribeResourceServer),
		"ListResourceServers":    admin(s.ListResourceServers),
		"UpdateResourceServer":   admin(s.UpdateResourceServer),
		"DeleteResourceServer":   admin(s.DeleteResourceServer),
		"SetUICustomization":     admin(s.SetUICustomization),
		"GetUICustomization":     admin(s.GetUICustomization),

		"InitiateAuth":                bind(false, s.InitiateAuth),
		"RespondToAuthChallenge":      bind(false, s.RespondToAuthChallenge),
		"AdminInitiateAuth":           admin(s.AdminInitiateAuth),
		"AdminRespondToAuthChallenge": admin(s.AdminRespondToAuthChallenge),
		"GetUser":                     bind(false, s.GetUser),
		"GlobalSignOut":               bind(false, s.GlobalSignOut),
		"AdminUserGlobalSignOut":      admin(s.AdminUserGlobalSignOut),
		"RevokeToken":                 bind(false, s.RevokeToken),
		"GetTokensFromRefreshToken":   bind(false, s.GetTokensFromRefreshToken),

		"SetUserPoolMfaConfig":      admin(s.SetUserPoolMfaConfig),
		"GetUserPoolMfaConfig":      admin(s.GetUserPoolMfaConfig),
		"AdminSetUserMFAPreference": admin(s.AdminSetUserMFAPreference),
		"AdminSetUserSettings":      admin(s.AdminSetUserSettings),
		"SetUserMFAPreference":      bind(false, s.SetUserMFAPreference),
		"SetUserSettings":           bind(false, s.SetUserSettings),
		"AssociateSoftwareToken":    bind(false, s.AssociateSoftwareToken),
		"VerifySoftwareToken":       bind(false, s.VerifySoftwareToken),

		"ConfirmDevice":           bind(false, s.ConfirmDevice),
		"GetDevice":               bind(false, s.GetDevice),
		"ListDevices":             bind(false, s.ListDevices),
		"ForgetDevice":            bind(false, s.ForgetDevice),
		"UpdateDeviceStatus":      bind(false, s.UpdateDeviceStatus),
		"AdminGetDevice":          admin(s.AdminGetDevice),
		"AdminListDevices":        admin(s.AdminListDevices),
		"AdminForgetDevice":       admin(s.AdminForgetDevice),
		"AdminUpdateDeviceStatus": admin(s.AdminUpdateDeviceStatus),

		"SignUp":                           bind(false, s.SignUp),
		"ConfirmSignUp":                    bind(false, s.ConfirmSignUp),
		"ResendConfirmationCode":           bind(false, s.ResendConfirmationCode),
		"ForgotPassword":                   bind(false, s.ForgotPassword),
		"ConfirmForgotPassword":            bind(false, s.ConfirmForgotPassword),
		"ChangePassword":                   bind(false, s.ChangePassword),
		"UpdateUserAttributes":             bind(false, s.UpdateUserAttributes),
		"DeleteUserAttributes":             bind(false, s.DeleteUserAttributes),
		"DeleteUser":                       bind(false, s.DeleteUser),
		"GetUserAttributeVerificationCode": bind(false, s.GetUserAttributeVerificationCode),
		"VerifyUserAttribute":              bind(false, s.VerifyUserAttribute),

		"GetCSVHeader":          admin(s.GetCSVHeader),
		"CreateUserImportJob":   admin(s.CreateUserImportJob),
		"StartUserImportJob":    admin(s.StartUserImportJob),
		"StopUserImportJob":     admin(s.StopUserImportJob),
		"DescribeUserImportJob": admin(s.DescribeUserImportJob),
		"ListUserImportJobs":    admin(s.ListUserImportJobs),
	}
}
