package pool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashless/hashless/pool/csvimport"
	"github.com/hashless/hashless/pool/store"
)

// Import job statuses, as Cognito names them.
const (
	JobCreated    = "Created"
	JobPending    = "Pending"
	JobInProgress = "InProgress"
	JobStopping   = "Stopping"
	JobStopped    = "Stopped"
	JobSucceeded  = "Succeeded"
	JobFailed     = "Failed"
	JobExpired    = "Expired"
)

const (
	// MaxImportCSVBytes caps an uploaded CSV; Cognito's own limit is 100 MB.
	MaxImportCSVBytes = 100 << 20
	// maxImportRows is Cognito's limit of users per import job.
	maxImportRows = 1_000_000
	// importBatch rows are written per transaction: large enough to amortise commits, small
	// enough that a concurrent writer is not blocked for long.
	importBatch = 500
	// uploadURLValidity is how long a PreSignedUrl accepts an upload, as on Cognito.
	uploadURLValidity = 24 * time.Hour
)

// importJobData is a job record's engine-owned part.
type importJobData struct {
	JobName               string    `json:"JobName"`
	CloudWatchLogsRoleArn string    `json:"CloudWatchLogsRoleArn"`
	Status                string    `json:"Status"`
	PreSignedUrl          string    `json:"PreSignedUrl"`
	StartDate             time.Time `json:"StartDate,omitzero"`
	CompletionDate        time.Time `json:"CompletionDate,omitzero"`
	ImportedUsers         int64     `json:"ImportedUsers"`
	SkippedUsers          int64     `json:"SkippedUsers"`
	FailedUsers           int64     `json:"FailedUsers"`
	CompletionMessage     string    `json:"CompletionMessage,omitempty"`
}

// UserImportJobType is Cognito's UserImportJobType.
type UserImportJobType struct {
	JobName               string     `json:"JobName"`
	JobId                 string     `json:"JobId"`
	UserPoolId            string     `json:"UserPoolId"`
	PreSignedUrl          string     `json:"PreSignedUrl,omitempty"`
	CreationDate          *Timestamp `json:"CreationDate,omitempty"`
	StartDate             *Timestamp `json:"StartDate,omitempty"`
	CompletionDate        *Timestamp `json:"CompletionDate,omitempty"`
	Status                string     `json:"Status"`
	CloudWatchLogsRoleArn string     `json:"CloudWatchLogsRoleArn"`
	ImportedUsers         int64      `json:"ImportedUsers"`
	SkippedUsers          int64      `json:"SkippedUsers"`
	FailedUsers           int64      `json:"FailedUsers"`
	CompletionMessage     string     `json:"CompletionMessage,omitempty"`
}

type jobView struct {
	rec store.ImportJob
	importJobData
}

func decodeJob(rec store.ImportJob) (jobView, error) {
	j := jobView{rec: rec}
	if err := json.Unmarshal(rec.Data, &j.importJobData); err != nil {
		return jobView{}, fmt.Errorf("import job %s: %w", rec.JobID, err)
	}
	return j, nil
}

func (j *jobView) encode() error {
	b, err := json.Marshal(j.importJobData)
	j.rec.Data = b
	return err
}

func (j jobView) output() UserImportJobType {
	return UserImportJobType{JobName: j.JobName, JobId: j.rec.JobID, UserPoolId: j.rec.PoolID, PreSignedUrl: j.PreSignedUrl,
		CreationDate: ts(j.rec.CreatedAt), StartDate: ts(j.StartDate), CompletionDate: ts(j.CompletionDate), Status: j.Status,
		CloudWatchLogsRoleArn: j.CloudWatchLogsRoleArn, ImportedUsers: j.ImportedUsers, SkippedUsers: j.SkippedUsers,
		FailedUsers: j.FailedUsers, CompletionMessage: j.CompletionMessage}
}

func (s *Service) loadJob(ctx context.Context, tx store.ReadTx, poolID, jobID string) (jobView, error) {
	if _, err := s.loadPool(ctx, tx, poolID); err != nil {
		return jobView{}, err
	}
	rec, err := tx.GetImportJob(ctx, poolID, jobID)
	if errors.Is(err, store.ErrNotFound) {
		return jobView{}, newError(ExResourceNotFound, "Import job %s does not exist.", jobID)
	}
	if err != nil {
		return jobView{}, err
	}
	return decodeJob(rec)
}

type GetCSVHeaderOutput struct {
	UserPoolId string   `json:"UserPoolId"`
	CSVHeader  []string `json:"CSVHeader"`
}

func schemaNames(p poolView) []string {
	var names []string
	for _, a := range p.SchemaAttributes {
		names = append(names, a.Name)
	}
	return names
}

func (s *Service) GetCSVHeader(ctx context.Context, _ Caller, in *UserPoolIDInput) (*GetCSVHeaderOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if err := v.err(); err != nil {
		return nil, err
	}
	var out GetCSVHeaderOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		out = GetCSVHeaderOutput{UserPoolId: p.rec.ID, CSVHeader: csvimport.Header(schemaNames(p))}
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "GetCSVHeader", err)
	}
	return &out, nil
}

type CreateUserImportJobInput struct {
	JobName               string `json:"JobName"`
	UserPoolId            string `json:"UserPoolId"`
	CloudWatchLogsRoleArn string `json:"CloudWatchLogsRoleArn"`
}

type UserImportJobOutput struct {
	UserImportJob UserImportJobType `json:"UserImportJob"`
}

// uploadPurpose binds an upload token to one job.
func uploadPurpose(poolID, jobID string) string { return "import-upload:" + poolID + ":" + jobID }

func (s *Service) CreateUserImportJob(ctx context.Context, _ Caller, in *CreateUserImportJobInput) (*UserImportJobOutput, error) {
	var v validator
	if v.required("jobName", in.JobName) && v.length("jobName", in.JobName, 1, 128) {
		v.pattern("jobName", in.JobName, reJobName)
	}
	checkPoolID(&v, in.UserPoolId)
	if v.required("cloudWatchLogsRoleArn", in.CloudWatchLogsRoleArn) && v.length("cloudWatchLogsRoleArn", in.CloudWatchLogsRoleArn, 20, 2048) {
		v.pattern("cloudWatchLogsRoleArn", in.CloudWatchLogsRoleArn, reRoleArn)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.now()
	j := jobView{rec: store.ImportJob{PoolID: in.UserPoolId, JobID: "import-" + randomString(alnum, 10), CreatedAt: now},
		importJobData: importJobData{JobName: in.JobName, CloudWatchLogsRoleArn: in.CloudWatchLogsRoleArn, Status: JobCreated}}
	expires, _ := now.Add(uploadURLValidity).MarshalText()
	token := s.sealer.Seal(uploadPurpose(j.rec.PoolID, j.rec.JobID), expires)
	j.PreSignedUrl = fmt.Sprintf("%s/_local/import/%s/%s?X-Amz-Signature=%s", s.publicURL, url.PathEscape(j.rec.PoolID), url.PathEscape(j.rec.JobID), url.QueryEscape(token))
	if err := j.encode(); err != nil {
		return nil, s.storeError(ctx, "CreateUserImportJob", err)
	}
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := s.loadPool(ctx, tx, in.UserPoolId); err != nil {
			return err
		}
		return tx.CreateImportJob(ctx, j.rec)
	})
	if err != nil {
		return nil, s.storeError(ctx, "CreateUserImportJob", err)
	}
	return &UserImportJobOutput{UserImportJob: j.output()}, nil
}

// ErrUploadDenied is returned by UploadImportCSV for a bad, expired or misplaced token.
var ErrUploadDenied = errors.New("pool: upload not allowed")

// UploadImportCSV accepts the CSV a client PUTs to a job's PreSignedUrl.
func (s *Service) UploadImportCSV(ctx context.Context, poolID, jobID, token string, body []byte) error {
	raw, err := s.sealer.Open(uploadPurpose(poolID, jobID), token)
	if err != nil {
		return ErrUploadDenied
	}
	var expires time.Time
	if expires.UnmarshalText(raw) != nil || !s.now().Before(expires) {
		return ErrUploadDenied
	}
	err = s.update(ctx, func(tx store.Tx) error {
		j, err := s.loadJob(ctx, tx, poolID, jobID)
		if err != nil {
			return err
		}
		if j.Status != JobCreated {
			return newError(ExInvalidParameter, "Import job %s is %s; a file can only be uploaded before it starts.", jobID, j.Status)
		}
		return tx.PutImportCSV(ctx, poolID, jobID, body)
	})
	if err != nil {
		return s.storeError(ctx, "UploadImportCSV", err)
	}
	return nil
}

type JobIDInput struct {
	UserPoolId string `json:"UserPoolId"`
	JobId      string `json:"JobId"`
}

func (in *JobIDInput) validate() error {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if v.required("jobId", in.JobId) && v.length("jobId", in.JobId, 1, 55) {
		v.pattern("jobId", in.JobId, reJobID)
	}
	return v.err()
}

// setJobStatus moves a job from one of the allowed statuses to next.
func (s *Service) setJobStatus(ctx context.Context, op string, in *JobIDInput, from []string, next string) (*UserImportJobOutput, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var out UserImportJobOutput
	err := s.update(ctx, func(tx store.Tx) error {
		j, err := s.loadJob(ctx, tx, in.UserPoolId, in.JobId)
		if err != nil {
			return err
		}
		allowed := false
		for _, f := range from {
			allowed = allowed || j.Status == f
		}
		if !allowed {
			return newError(ExPreconditionNotMet, "Import job %s is %s.", in.JobId, j.Status)
		}
		j.Status = next
		if next == JobPending {
			j.StartDate = s.now()
		}
		if err := j.encode(); err != nil {
			return err
		}
		if err := tx.UpdateImportJob(ctx, j.rec); err != nil {
			return err
		}
		out.UserImportJob = j.output()
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	return &out, nil
}

func (s *Service) StartUserImportJob(ctx context.Context, _ Caller, in *JobIDInput) (*UserImportJobOutput, error) {
	out, err := s.setJobStatus(ctx, "StartUserImportJob", in, []string{JobCreated}, JobPending)
	if err != nil {
		return nil, err
	}
	s.importer.start(in.UserPoolId, in.JobId)
	return out, nil
}

func (s *Service) StopUserImportJob(ctx context.Context, _ Caller, in *JobIDInput) (*UserImportJobOutput, error) {
	return s.setJobStatus(ctx, "StopUserImportJob", in, []string{JobPending, JobInProgress}, JobStopping)
}

func (s *Service) DescribeUserImportJob(ctx context.Context, _ Caller, in *JobIDInput) (*UserImportJobOutput, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var out UserImportJobOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		j, err := s.loadJob(ctx, tx, in.UserPoolId, in.JobId)
		if err != nil {
			return err
		}
		out.UserImportJob = j.output()
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "DescribeUserImportJob", err)
	}
	return &out, nil
}

type ListUserImportJobsInput struct {
	UserPoolId      string `json:"UserPoolId"`
	MaxResults      *int32 `json:"MaxResults"`
	PaginationToken string `json:"PaginationToken"`
}

type ListUserImportJobsOutput struct {
	UserImportJobs  []UserImportJobType `json:"UserImportJobs"`
	PaginationToken string              `json:"PaginationToken,omitempty"`
}

func (s *Service) ListUserImportJobs(ctx context.Context, _ Caller, in *ListUserImportJobsInput) (*ListUserImportJobsOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if in.MaxResults == nil {
		v.add("Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
	}
	v.intRange("maxResults", in.MaxResults, 1, 60)
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := s.openPageToken("jobs", in.UserPoolId, in.PaginationToken)
	if err != nil {
		return nil, err
	}
	out := ListUserImportJobsOutput{UserImportJobs: []UserImportJobType{}}
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		if _, err := s.loadPool(ctx, tx, in.UserPoolId); err != nil {
			return err
		}
		jobs, next, err := tx.ListImportJobs(ctx, in.UserPoolId, store.Page{After: after, Limit: int(*in.MaxResults)})
		if err != nil {
			return err
		}
		for _, rec := range jobs {
			j, err := decodeJob(rec)
			if err != nil {
				return err
			}
			out.UserImportJobs = append(out.UserImportJobs, j.output())
		}
		out.PaginationToken = s.sealPageToken("jobs", in.UserPoolId, next)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "ListUserImportJobs", err)
	}
	return &out, nil
}

// ImportProgress counts the rows of an import so far.
type ImportProgress struct {
	Rows     int64
	Imported int64
	Skipped  int64
	Failed   int64
}

// ImportUsers creates a RESET_REQUIRED user, with no password, for each row of a Cognito CSV.
// Rows that fail (bad values, a taken username or alias) are counted and skipped. progress,
// if set, is called after each batch; returning false from it stops the import.
func (s *Service) ImportUsers(ctx context.Context, poolID string, r io.Reader, progress func(ImportProgress) bool) (ImportProgress, error) {
	var total ImportProgress
	var p poolView
	if err := s.store.View(ctx, func(tx store.ReadTx) (err error) { p, err = s.loadPool(ctx, tx, poolID); return }); err != nil {
		return total, s.storeError(ctx, "ImportUsers", err)
	}
	reader, err := csvimport.NewReader(r, maxImportRows)
	if err != nil {
		return total, invalidParameter("The CSV file is not valid: %v", err)
	}
	if err := checkHeader(p, reader.Columns()); err != nil {
		return total, err
	}
	for {
		batch, readErr := readBatch(reader, &total)
		if len(batch) > 0 {
			var done ImportProgress
			err := s.update(ctx, func(tx store.Tx) error {
				done = ImportProgress{}
				return s.importBatch(ctx, tx, p, batch, &done)
			})
			if err != nil {
				return total, s.storeError(ctx, "ImportUsers", err)
			}
			total.Imported += done.Imported
			total.Skipped += done.Skipped
			total.Failed += done.Failed
		}
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return total, invalidParameter("The CSV file is not valid: %v", readErr)
		}
		if progress != nil && !progress(total) {
			return total, nil
		}
		if readErr != nil {
			return total, nil
		}
	}
}

// checkHeader refuses a CSV whose columns are not attributes of this pool.
func checkHeader(p poolView, columns []string) error {
	allowed := map[string]bool{}
	for _, c := range csvimport.Header(schemaNames(p)) {
		allowed[c] = true
	}
	for _, c := range columns {
		if !allowed[c] {
			return invalidParameter("The CSV header column %q is not an attribute of user pool %s.", c, p.rec.ID)
		}
	}
	return nil
}

// readBatch reads up to importBatch rows; rows with their own errors count as failed.
func readBatch(reader *csvimport.Reader, total *ImportProgress) ([]csvimport.Row, error) {
	var batch []csvimport.Row
	for len(batch) < importBatch {
		row, err := reader.Next()
		var rowErr *csvimport.RowError
		switch {
		case errors.As(err, &rowErr):
			total.Rows++
			total.Failed++
			continue
		case err != nil:
			return batch, err
		}
		total.Rows++
		batch = append(batch, row)
	}
	return batch, nil
}

func (s *Service) importBatch(ctx context.Context, tx store.Tx, p poolView, rows []csvimport.Row, done *ImportProgress) error {
	now := s.now()
	for _, row := range rows {
		attrs := make([]AttributeType, 0, len(row.Attributes))
		for _, a := range row.Attributes {
			attrs = append(attrs, AttributeType{Name: a.Name, Value: a.Value})
		}
		if checkAttributes(p, attrs, true) != nil {
			done.Failed++
			continue
		}
		sub := newUUID()
		username, attrs, err := placeUsername(p, row.Username, sub, attrs)
		if err != nil {
			done.Failed++
			continue
		}
		u := store.User{PoolID: p.rec.ID, Username: username, UsernameKey: p.usernameKey(username), Sub: sub,
			Status: StatusResetRequired, Enabled: true, Attributes: attrs, CreatedAt: now, UpdatedAt: now}
		u.Aliases = p.aliasesFor(u)
		if checkRequired(p, u) != nil {
			done.Failed++
			continue
		}
		// Collisions are found by reading first: a failed write would abort the whole batch's
		// transaction on PostgreSQL.
		taken, err := s.importCollides(ctx, tx, u)
		if err != nil {
			return err
		}
		if taken {
			done.Failed++
			continue
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		done.Imported++
	}
	return nil
}

func (s *Service) importCollides(ctx context.Context, tx store.Tx, u store.User) (bool, error) {
	_, err := tx.GetUser(ctx, u.PoolID, u.UsernameKey)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	for _, a := range u.Aliases {
		_, err := tx.GetUserByAlias(ctx, u.PoolID, a)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}

// importRunner runs started jobs in the background of the node that started them.
type importRunner struct {
	s      *Service
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newImportRunner(s *Service) *importRunner {
	ctx, cancel := context.WithCancel(context.Background())
	return &importRunner{s: s, ctx: ctx, cancel: cancel}
}

func (r *importRunner) stop() {
	r.cancel()
	r.wg.Wait()
}

func (r *importRunner) start(poolID, jobID string) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(poolID, jobID)
	}()
}

// updateJob applies change to a job record in its own transaction.
func (r *importRunner) updateJob(poolID, jobID string, change func(j *jobView)) (jobView, error) {
	ctx := context.WithoutCancel(r.ctx)
	var out jobView
	err := r.s.update(ctx, func(tx store.Tx) error {
		j, err := r.s.loadJob(ctx, tx, poolID, jobID)
		if err != nil {
			return err
		}
		change(&j)
		if err := j.encode(); err != nil {
			return err
		}
		out = j
		return tx.UpdateImportJob(ctx, j.rec)
	})
	return out, err
}

func (r *importRunner) run(poolID, jobID string) {
	log := r.s.log.With("pool", poolID, "job", jobID)
	finish := func(status, message string, p ImportProgress) {
		_, err := r.updateJob(poolID, jobID, func(j *jobView) {
			if j.Status == JobStopping && status == JobSucceeded {
				status = JobStopped
			}
			j.Status, j.CompletionMessage, j.CompletionDate = status, message, r.s.now()
			j.ImportedUsers, j.FailedUsers, j.SkippedUsers = p.Imported, p.Failed, p.Skipped
		})
		if err != nil {
			log.Error("import job: recording the outcome failed", "err", err)
		}
		log.Info("import job finished", "status", status, "imported", p.Imported, "failed", p.Failed)
	}
	if _, err := r.updateJob(poolID, jobID, func(j *jobView) { j.Status = JobInProgress }); err != nil {
		log.Error("import job: start failed", "err", err)
		return
	}
	var body []byte
	err := r.s.store.View(r.ctx, func(tx store.ReadTx) (err error) { body, err = tx.GetImportCSV(r.ctx, poolID, jobID); return })
	if errors.Is(err, store.ErrNotFound) {
		finish(JobFailed, "The CSV file was not uploaded to the job's PreSignedUrl.", ImportProgress{})
		return
	}
	if err != nil {
		finish(JobFailed, "The CSV file could not be read.", ImportProgress{})
		return
	}
	result, err := r.s.ImportUsers(r.ctx, poolID, bytes.NewReader(body), func(p ImportProgress) bool {
		j, err := r.updateJob(poolID, jobID, func(j *jobView) {
			j.ImportedUsers, j.FailedUsers, j.SkippedUsers = p.Imported, p.Failed, p.Skipped
		})
		log.Info("import job progress", "rows", p.Rows, "imported", p.Imported, "failed", p.Failed)
		return err == nil && j.Status != JobStopping && r.ctx.Err() == nil
	})
	switch {
	case err != nil:
		finish(JobFailed, errorMessage(err, "The import failed."), result)
	case r.ctx.Err() != nil:
		finish(JobStopped, "The server stopped while the job was running.", result)
	default:
		msg := "Import Job Completed Successfully."
		if result.Failed > 0 {
			msg = fmt.Sprintf("Import Job Completed. %d users could not be imported.", result.Failed)
		}
		finish(JobSucceeded, strings.TrimSpace(msg), result)
	}
}
