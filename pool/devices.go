package pool

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strconv"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
	"github.com/hashless/hashless/srp"
)

// Remembered devices. In a pool whose DeviceConfiguration is set, every sign-in that did
// not come from a known device gets NewDeviceMetadata (a device key and group key); the
// client makes an SRP verifier for a random device password and registers it with
// ConfirmDevice. Later sign-ins name the device (DEVICE_KEY) and, once the password is
// proved, prove the device too (DEVICE_SRP_AUTH, then DEVICE_PASSWORD_VERIFIER, the same
// exchange as a user's with the group key for the pool name and the device key for the
// username). A remembered device then skips MFA.
//
// Devices live in the user's record (at most maxDevices, the least recently used go
// first); a device key issued but not yet confirmed waits in an ephemeral record for a day.
// The device verifier is not sealed: the password behind it is 40 random bytes, so unlike a
// user's it cannot be guessed from the verifier.

const (
	ChallengeDeviceSRPAuth          = "DEVICE_SRP_AUTH"
	ChallengeDevicePasswordVerifier = "DEVICE_PASSWORD_VERIFIER"

	nsDevicePending      = "device-pending"
	deviceBlockPurpose   = "srp-secret-block|device"
	devicePendingTTL     = 24 * time.Hour
	maxDevices           = 100
	deviceStatusRemember = "remembered"
	deviceStatusNot      = "not_remembered"
)

type DeviceConfiguration struct {
	ChallengeRequiredOnNewDevice     bool `json:"ChallengeRequiredOnNewDevice"`
	DeviceOnlyRememberedOnUserPrompt bool `json:"DeviceOnlyRememberedOnUserPrompt"`
}

// deviceConfig is the pool's device tracking, or nil when it tracks none.
func (p poolView) deviceConfig() *DeviceConfiguration {
	if p.DeviceConfiguration == nil {
		return nil
	}
	var dc DeviceConfiguration
	if json.Unmarshal(*p.DeviceConfiguration, &dc) != nil {
		return nil
	}
	return &dc
}

// userDevice is a confirmed device.
type userDevice struct {
	Key          string    `json:"key"`
	GroupKey     string    `json:"group"`
	Name         string    `json:"name,omitempty"`
	Salt         string    `json:"salt"`
	Verifier     string    `json:"v"`
	Status       string    `json:"status"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"modified"`
	LastAuth     time.Time `json:"last_auth,omitzero"`
}

type pendingDevice struct {
	UsernameKey string `json:"user"`
	GroupKey    string `json:"group"`
}

func (u userView) device(key string) (userDevice, int, bool) {
	for i, d := range u.Devices {
		if d.Key == key {
			return d, i, true
		}
	}
	return userDevice{}, -1, false
}

// newDeviceMetadata issues a device key for a sign-in from a device the pool does not know.
func (s *Service) newDeviceMetadata(ctx context.Context, p poolView, u store.User) (*NewDeviceMetadata, error) {
	meta := &NewDeviceMetadata{DeviceKey: p.Region + "_" + newUUID(), DeviceGroupKey: "-" + randomString(alnum, 9)}
	val, _ := json.Marshal(pendingDevice{UsernameKey: u.UsernameKey, GroupKey: meta.DeviceGroupKey})
	err := s.update(ctx, func(tx store.Tx) error {
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: p.rec.ID, Namespace: nsDevicePending, Key: p.rec.ID + "|" + meta.DeviceKey,
			Value: val, ExpiresAt: s.now().Add(devicePendingTTL)})
	})
	return meta, err
}

type NewDeviceMetadata struct {
	DeviceKey      string `json:"DeviceKey"`
	DeviceGroupKey string `json:"DeviceGroupKey"`
}

// --- the device challenge -------------------------------------------------------------------------

// deviceChallenge is DEVICE_SRP_AUTH, asked of a sign-in that named one of the user's
// confirmed devices.
func (s *Service) deviceChallenge(ctx context.Context, req authRequest, u userView) (*AuthOutput, error) {
	out, err := s.challenge(ctx, req, u, ChallengeDeviceSRPAuth, map[string]string{"DEVICE_KEY": req.deviceKey})
	if err != nil {
		return nil, err
	}
	out.ChallengeParameters["USERNAME"] = u.rec.Username
	return out, nil
}

// deviceBlock is SECRET_BLOCK's state for the device exchange.
type deviceBlock struct {
	srpBlock
	DeviceKey string `json:"device"`
	Session   string `json:"session"` // the DEVICE_SRP_AUTH session it answers, used up by the proof
}

// respondDeviceSRP answers DEVICE_SRP_AUTH (with the device's A) with
// DEVICE_PASSWORD_VERIFIER: the device's salt and B.
func (s *Service) respondDeviceSRP(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	r := in.ChallengeResponses
	for _, name := range []string{"DEVICE_KEY", "SRP_A"} {
		if r[name] == "" {
			return nil, invalidParameter("Missing required parameter %s", name)
		}
	}
	pubA, err := srp.ParseHex(r["SRP_A"])
	if err != nil || new(big.Int).Mod(pubA, srp.N()).Sign() == 0 {
		return nil, invalidParameter("SRP_A is not a valid SRP public value")
	}
	cs, err := s.openSession(in.Session, req.client.rec.ClientID, ChallengeDeviceSRPAuth)
	if err != nil {
		return nil, err
	}
	var u userView
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		u, err = sessionUser(ctx, tx, cs.PoolID, cs.UsernameKey, newError(ExNotAuthorized, "Invalid session for the user."))
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	if err := s.checkSecretHash(req.client, r["SECRET_HASH"], r["USERNAME"], u.rec.Username); err != nil {
		return nil, err
	}
	d, _, ok := u.device(r["DEVICE_KEY"])
	if !ok {
		return nil, newError(ExResourceNotFound, "Device does not exist.")
	}
	salt, err1 := srp.ParseHex(d.Salt)
	v, err2 := srp.ParseHex(d.Verifier)
	if err1 != nil || err2 != nil {
		return nil, newError(ExResourceNotFound, "Device does not exist.")
	}
	server, err := srp.NewServer(rand.Reader, v)
	if err != nil {
		return nil, err
	}
	block := deviceBlock{srpBlock: srpBlock{ID: randomString(alnum, 32), PoolID: cs.PoolID, ClientID: req.client.rec.ClientID,
		UsernameKey: u.rec.UsernameKey, UserID: u.rec.Username, B: server.Secret().Bytes(), Expires: cs.Expires},
		DeviceKey: d.Key, Session: in.Session}
	sealed, err := s.startExchange(ctx, "RespondToAuthChallenge", deviceBlockPurpose, block, block.srpBlock, pubA, server)
	if err != nil {
		return nil, err
	}
	return &AuthOutput{ChallengeName: ChallengeDevicePasswordVerifier, Session: in.Session, ChallengeParameters: map[string]string{
		"SALT": srp.Hex(salt), "SRP_B": srp.Hex(server.PublicKey()), "SECRET_BLOCK": sealed,
		"USERNAME": u.rec.Username, "DEVICE_KEY": d.Key,
	}}, nil
}

// respondDevicePasswordVerifier checks the device's proof; a remembered device then skips
// MFA.
func (s *Service) respondDevicePasswordVerifier(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	r := in.ChallengeResponses
	for _, name := range []string{"USERNAME", "DEVICE_KEY", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE"} {
		if r[name] == "" {
			return nil, invalidParameter("Missing required parameter %s", name)
		}
	}
	var block deviceBlock
	raw, ok := s.openBlock(deviceBlockPurpose, r["PASSWORD_CLAIM_SECRET_BLOCK"], &block)
	if !ok || block.ClientID != req.client.rec.ClientID ||
		block.PoolID != req.pool.rec.ID || block.DeviceKey != r["DEVICE_KEY"] || block.UserID != r["USERNAME"] {
		return nil, incorrectPassword()
	}
	if !s.now().Before(block.Expires) {
		return nil, newError(ExNotAuthorized, "Invalid session for the user, session is expired.")
	}
	if err := s.checkSecretHash(req.client, r["SECRET_HASH"], block.UserID); err != nil {
		return nil, err
	}
	cs, err := s.openSession(block.Session, req.client.rec.ClientID, ChallengeDeviceSRPAuth)
	if err != nil {
		return nil, err
	}
	var pub srpPublic
	var u userView
	err = s.update(ctx, func(tx store.Tx) error {
		e, err := tx.TakeEphemeral(ctx, nsSRP, block.ID, s.now())
		if errors.Is(err, store.ErrNotFound) {
			return newError(ExNotAuthorized, "Invalid session for the user, session can only be used once.")
		}
		if err != nil {
			return err
		}
		if json.Unmarshal(e.Value, &pub) != nil {
			return incorrectPassword()
		}
		if err := consumeSession(ctx, tx, cs, s.now()); err != nil {
			return err
		}
		u, err = sessionUser(ctx, tx, block.PoolID, block.UsernameKey, incorrectPassword())
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	d, _, ok := u.device(block.DeviceKey)
	if !ok {
		return nil, newError(ExResourceNotFound, "Device does not exist.")
	}
	v, err := srp.ParseHex(d.Verifier)
	if err != nil || !s.srpProof(block.srpBlock, pub, v, d.GroupKey, d.Key, raw, r["TIMESTAMP"], r["PASSWORD_CLAIM_SIGNATURE"]) {
		return nil, incorrectPassword()
	}
	req.deviceKey, req.deviceProved = d.Key, true
	req.tokenSource = triggers.SourceTokenGenerationAuthenticateDevice
	s.touchDevice(ctx, u, d.Key)
	if d.Status == deviceStatusRemember {
		return s.signIn(ctx, req, u.rec, s.now())
	}
	return s.afterFirstFactor(ctx, req, u, lockout{})
}

// touchDevice records a sign-in from a device (best effort: it only feeds LastAuthenticatedDate).
func (s *Service) touchDevice(ctx context.Context, u userView, key string) {
	s.updateBestEffort(ctx, u, "could not record a device's sign-in", func(_ poolView, cur *userView) (bool, error) {
		_, i, ok := cur.device(key)
		if !ok {
			return false, nil
		}
		cur.Devices = slices.Clone(cur.Devices)
		cur.Devices[i].LastAuth = s.now()
		return true, nil
	})
}

// --- the device operations ----------------------------------------------------------------------

type DeviceSecretVerifierConfigType struct {
	PasswordVerifier string `json:"PasswordVerifier"`
	Salt             string `json:"Salt"`
}

type ConfirmDeviceInput struct {
	AccessToken                string                          `json:"AccessToken"`
	DeviceKey                  string                          `json:"DeviceKey"`
	DeviceName                 string                          `json:"DeviceName,omitempty"`
	DeviceSecretVerifierConfig *DeviceSecretVerifierConfigType `json:"DeviceSecretVerifierConfig,omitempty"`
}

type ConfirmDeviceOutput struct {
	UserConfirmationNecessary bool `json:"UserConfirmationNecessary"`
}

func checkDeviceKey(v *validator, key string) {
	if v.required("deviceKey", key) {
		v.length("deviceKey", key, 1, 55)
	}
}

func (s *Service) ConfirmDevice(ctx context.Context, _ Caller, in *ConfirmDeviceInput) (*ConfirmDeviceOutput, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	var v validator
	checkDeviceKey(&v, in.DeviceKey)
	if len(in.DeviceName) > 1024 {
		v.add("Value at 'deviceName' failed to satisfy constraint: Member must have length less than or equal to 1024")
	}
	if in.DeviceSecretVerifierConfig == nil {
		v.add("Missing required parameter DeviceSecretVerifierConfig")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	salt, err1 := base64.StdEncoding.DecodeString(in.DeviceSecretVerifierConfig.Salt)
	verifier, err2 := base64.StdEncoding.DecodeString(in.DeviceSecretVerifierConfig.PasswordVerifier)
	if err1 != nil || err2 != nil || len(salt) == 0 || len(salt) > 64 || len(verifier) == 0 || len(verifier) > 512 {
		return nil, invalidParameter("DeviceSecretVerifierConfig must hold a base64 Salt and PasswordVerifier.")
	}
	dc := a.pool.deviceConfig()
	if dc == nil {
		return nil, invalidParameter("Device tracking is not enabled for this user pool.")
	}
	out := &ConfirmDeviceOutput{UserConfirmationNecessary: dc.DeviceOnlyRememberedOnUserPrompt}
	err = s.update(ctx, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, a.pool.rec.ID, a.user)
		if err != nil {
			return err
		}
		e, err := tx.GetEphemeral(ctx, nsDevicePending, p.rec.ID+"|"+in.DeviceKey, s.now())
		var pd pendingDevice
		if errors.Is(err, store.ErrNotFound) || (err == nil && (json.Unmarshal(e.Value, &pd) != nil || pd.UsernameKey != u.rec.UsernameKey)) {
			return newError(ExResourceNotFound, "Device does not exist.")
		}
		if err != nil {
			return err
		}
		now := s.now()
		status := deviceStatusRemember
		if dc.DeviceOnlyRememberedOnUserPrompt {
			status = deviceStatusNot
		}
		d := userDevice{Key: in.DeviceKey, GroupKey: pd.GroupKey, Name: in.DeviceName,
			Salt: srp.Hex(new(big.Int).SetBytes(salt)), Verifier: srp.Hex(new(big.Int).SetBytes(verifier)),
			Status: status, Created: now, LastModified: now, LastAuth: now}
		if _, i, ok := u.device(d.Key); ok {
			u.Devices = slices.Delete(slices.Clone(u.Devices), i, i+1)
		}
		u.Devices = append(slices.Clone(u.Devices), d)
		if len(u.Devices) > maxDevices {
			slices.SortFunc(u.Devices, func(x, y userDevice) int { return y.LastAuth.Compare(x.LastAuth) })
			u.Devices = u.Devices[:maxDevices]
		}
		if err := tx.DeleteEphemeral(ctx, nsDevicePending, p.rec.ID+"|"+in.DeviceKey); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, "ConfirmDevice", err)
	}
	return out, nil
}

type DeviceType struct {
	DeviceKey                   string          `json:"DeviceKey"`
	DeviceAttributes            []AttributeType `json:"DeviceAttributes"`
	DeviceCreateDate            *Timestamp      `json:"DeviceCreateDate,omitempty"`
	DeviceLastModifiedDate      *Timestamp      `json:"DeviceLastModifiedDate,omitempty"`
	DeviceLastAuthenticatedDate *Timestamp      `json:"DeviceLastAuthenticatedDate,omitempty"`
}

func deviceType(d userDevice) DeviceType {
	attrs := []AttributeType{{Name: "device_status", Value: d.Status}}
	if d.Name != "" {
		attrs = append(attrs, AttributeType{Name: "device_name", Value: d.Name})
	}
	return DeviceType{DeviceKey: d.Key, DeviceAttributes: attrs, DeviceCreateDate: ts(d.Created),
		DeviceLastModifiedDate: ts(d.LastModified), DeviceLastAuthenticatedDate: ts(d.LastAuth)}
}

type DeviceInput struct {
	AccessToken string `json:"AccessToken,omitempty"`
	DeviceKey   string `json:"DeviceKey"`
}

type AdminDeviceInput struct {
	UserPoolId string `json:"UserPoolId"`
	Username   string `json:"Username"`
	DeviceKey  string `json:"DeviceKey"`
}

type GetDeviceOutput struct {
	Device DeviceType `json:"Device"`
}

func (s *Service) GetDevice(ctx context.Context, _ Caller, in *DeviceInput) (*GetDeviceOutput, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return getDevice(a.user, in.DeviceKey)
}

func getDevice(u userView, key string) (*GetDeviceOutput, error) {
	var v validator
	checkDeviceKey(&v, key)
	if err := v.err(); err != nil {
		return nil, err
	}
	d, _, ok := u.device(key)
	if !ok {
		return nil, newError(ExResourceNotFound, "Device does not exist.")
	}
	return &GetDeviceOutput{Device: deviceType(d)}, nil
}

func (s *Service) AdminGetDevice(ctx context.Context, _ Caller, in *AdminDeviceInput) (*GetDeviceOutput, error) {
	u, err := s.adminUser(ctx, "AdminGetDevice", in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return getDevice(u, in.DeviceKey)
}

type ListDevicesInput struct {
	AccessToken     string `json:"AccessToken"`
	Limit           *int32 `json:"Limit,omitempty"`
	PaginationToken string `json:"PaginationToken,omitempty"`
}

type AdminListDevicesInput struct {
	UserPoolId      string `json:"UserPoolId"`
	Username        string `json:"Username"`
	Limit           *int32 `json:"Limit,omitempty"`
	PaginationToken string `json:"PaginationToken,omitempty"`
}

type ListDevicesOutput struct {
	Devices         []DeviceType `json:"Devices"`
	PaginationToken string       `json:"PaginationToken,omitempty"`
}

func (s *Service) ListDevices(ctx context.Context, _ Caller, in *ListDevicesInput) (*ListDevicesOutput, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return listDevices(a.user, in.Limit, in.PaginationToken)
}

func (s *Service) AdminListDevices(ctx context.Context, _ Caller, in *AdminListDevicesInput) (*ListDevicesOutput, error) {
	u, err := s.adminUser(ctx, "AdminListDevices", in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return listDevices(u, in.Limit, in.PaginationToken)
}

// listDevices pages through the devices, most recently used first; the token is an offset.
func listDevices(u userView, limit *int32, token string) (*ListDevicesOutput, error) {
	n := 60
	if limit != nil {
		if *limit < 0 || *limit > 60 {
			return nil, invalidParameter("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60", *limit)
		}
		if *limit > 0 {
			n = int(*limit)
		}
	}
	start := 0
	if token != "" {
		i, err := strconv.Atoi(token)
		if err != nil || i < 0 || i > len(u.Devices) {
			return nil, invalidParameter("Invalid pagination token.")
		}
		start = i
	}
	devices := slices.Clone(u.Devices)
	slices.SortStableFunc(devices, func(x, y userDevice) int { return y.LastAuth.Compare(x.LastAuth) })
	out := &ListDevicesOutput{Devices: []DeviceType{}}
	end := min(start+n, len(devices))
	for _, d := range devices[start:end] {
		out.Devices = append(out.Devices, deviceType(d))
	}
	if end < len(devices) {
		out.PaginationToken = strconv.Itoa(end)
	}
	return out, nil
}

func (s *Service) ForgetDevice(ctx context.Context, _ Caller, in *DeviceInput) (*Empty, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.changeDevice(ctx, "ForgetDevice", a.pool.rec.ID, a.user.rec.Username, in.DeviceKey, nil)
}

func (s *Service) AdminForgetDevice(ctx context.Context, _ Caller, in *AdminDeviceInput) (*Empty, error) {
	return s.changeDevice(ctx, "AdminForgetDevice", in.UserPoolId, in.Username, in.DeviceKey, nil)
}

type UpdateDeviceStatusInput struct {
	AccessToken            string `json:"AccessToken,omitempty"`
	DeviceKey              string `json:"DeviceKey"`
	DeviceRememberedStatus string `json:"DeviceRememberedStatus,omitempty"`
}

type AdminUpdateDeviceStatusInput struct {
	UserPoolId             string `json:"UserPoolId"`
	Username               string `json:"Username"`
	DeviceKey              string `json:"DeviceKey"`
	DeviceRememberedStatus string `json:"DeviceRememberedStatus,omitempty"`
}

func (s *Service) UpdateDeviceStatus(ctx context.Context, _ Caller, in *UpdateDeviceStatusInput) (*Empty, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.changeDevice(ctx, "UpdateDeviceStatus", a.pool.rec.ID, a.user.rec.Username, in.DeviceKey, &in.DeviceRememberedStatus)
}

func (s *Service) AdminUpdateDeviceStatus(ctx context.Context, _ Caller, in *AdminUpdateDeviceStatusInput) (*Empty, error) {
	return s.changeDevice(ctx, "AdminUpdateDeviceStatus", in.UserPoolId, in.Username, in.DeviceKey, &in.DeviceRememberedStatus)
}

// changeDevice forgets a device (status nil) or sets its remembered status.
func (s *Service) changeDevice(ctx context.Context, op, poolID, username, key string, status *string) (*Empty, error) {
	var v validator
	checkPoolID(&v, poolID)
	checkUsername(&v, username)
	checkDeviceKey(&v, key)
	if status != nil {
		v.oneOf("deviceRememberedStatus", *status, deviceStatusRemember, deviceStatusNot)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.updateUser(ctx, op, poolID, username, func(_ store.Tx, _ poolView, u *userView) error {
		_, i, ok := u.device(key)
		if !ok {
			return newError(ExResourceNotFound, "Device does not exist.")
		}
		u.Devices = slices.Clone(u.Devices)
		if status == nil {
			u.Devices = slices.Delete(u.Devices, i, i+1)
			return nil
		}
		if *status != "" {
			u.Devices[i].Status = *status
		}
		u.Devices[i].LastModified = s.now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// adminUser reads a user for an admin device operation.
func (s *Service) adminUser(ctx context.Context, op, poolID, username string) (userView, error) {
	var v validator
	checkPoolID(&v, poolID)
	checkUsername(&v, username)
	if err := v.err(); err != nil {
		return userView{}, err
	}
	var u userView
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, poolID)
		if err != nil {
			return err
		}
		u, err = resolveUser(ctx, tx, p, username)
		return err
	})
	if err != nil {
		return userView{}, s.storeError(ctx, op, err)
	}
	return u, nil
}
