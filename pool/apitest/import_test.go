package apitest

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

// csvFor builds an import file with the pool's own header and one row per user.
func csvFor(header []string, rows ...map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(header, ",") + "\n")
	for _, row := range rows {
		cells := make([]string, len(header))
		for i, h := range header {
			cells[i] = row[h]
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return b.Bytes()
}

func put(t *testing.T, url string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-amz-server-side-encryption", "aws:kms")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestUserImportJob(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		createUser(t, c, poolID, "existing")
		header := must(c.GetCSVHeader(ctx(t), &cip.GetCSVHeaderInput{UserPoolId: &poolID}))(t).CSVHeader
		if header[len(header)-1] != "cognito:username" && !strings.Contains(strings.Join(header, ","), "cognito:username") {
			t.Fatalf("header %v lacks cognito:username", header)
		}
		role := aws.String("arn:aws:iam::123456789012:role/CognitoImport")
		job := must(c.CreateUserImportJob(ctx(t), &cip.CreateUserImportJobInput{UserPoolId: &poolID, JobName: aws.String("first"), CloudWatchLogsRoleArn: role}))(t).UserImportJob
		if job.Status != types.UserImportJobStatusTypeCreated || !strings.HasPrefix(aws.ToString(job.JobId), "import-") {
			t.Fatalf("job %+v", job)
		}
		body := csvFor(header,
			map[string]string{"cognito:username": "lee", "email": "lee@example.com", "email_verified": "true", "cognito:mfa_enabled": "false"},
			map[string]string{"cognito:username": "max", "given_name": "Max", "cognito:mfa_enabled": "false"},
			map[string]string{"cognito:username": "existing", "cognito:mfa_enabled": "false"},
			map[string]string{"cognito:username": "ned", "email": "not-an-email", "cognito:mfa_enabled": "false"},
		)
		url := aws.ToString(job.PreSignedUrl)
		if code := put(t, url+"x", body); code != http.StatusForbidden {
			t.Fatalf("a tampered upload URL answered %d", code)
		}
		if code := put(t, url, body); code != http.StatusOK {
			t.Fatalf("upload answered %d", code)
		}
		must(c.StartUserImportJob(ctx(t), &cip.StartUserImportJobInput{UserPoolId: &poolID, JobId: job.JobId}))(t)
		_, err := c.StartUserImportJob(ctx(t), &cip.StartUserImportJobInput{UserPoolId: &poolID, JobId: job.JobId})
		wantAPIError(t, err, "PreconditionNotMetException")
		deadline := time.Now().Add(20 * time.Second)
		for {
			job = must(c.DescribeUserImportJob(ctx(t), &cip.DescribeUserImportJobInput{UserPoolId: &poolID, JobId: job.JobId}))(t).UserImportJob
			if job.Status == types.UserImportJobStatusTypeSucceeded || job.Status == types.UserImportJobStatusTypeFailed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job still %s", job.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if job.Status != types.UserImportJobStatusTypeSucceeded || job.ImportedUsers != 2 || job.FailedUsers != 2 || job.CompletionDate == nil {
			t.Fatalf("finished job: status %s imported %d failed %d (%s)", job.Status, job.ImportedUsers, job.FailedUsers, aws.ToString(job.CompletionMessage))
		}
		lee := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("lee@example.com")}))(t)
		if lee.UserStatus != types.UserStatusTypeResetRequired || aws.ToString(lee.Username) != "lee" {
			t.Fatalf("imported user: %s %s", aws.ToString(lee.Username), lee.UserStatus)
		}
		if code := put(t, url, body); code != http.StatusConflict {
			t.Fatalf("upload to a finished job answered %d", code)
		}

		empty := must(c.CreateUserImportJob(ctx(t), &cip.CreateUserImportJobInput{UserPoolId: &poolID, JobName: aws.String("second"), CloudWatchLogsRoleArn: role}))(t).UserImportJob
		must(c.StartUserImportJob(ctx(t), &cip.StartUserImportJobInput{UserPoolId: &poolID, JobId: empty.JobId}))(t)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			empty = must(c.DescribeUserImportJob(ctx(t), &cip.DescribeUserImportJobInput{UserPoolId: &poolID, JobId: empty.JobId}))(t).UserImportJob
			if empty.Status == types.UserImportJobStatusTypeFailed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a job without a file should fail, it is %s", empty.Status)
			}
		}
		jobs := must(c.ListUserImportJobs(ctx(t), &cip.ListUserImportJobsInput{UserPoolId: &poolID, MaxResults: aws.Int32(1)}))(t)
		if len(jobs.UserImportJobs) != 1 || jobs.PaginationToken == nil {
			t.Fatalf("first page of jobs: %d", len(jobs.UserImportJobs))
		}
		jobs2 := must(c.ListUserImportJobs(ctx(t), &cip.ListUserImportJobsInput{UserPoolId: &poolID, MaxResults: aws.Int32(1), PaginationToken: jobs.PaginationToken}))(t)
		if len(jobs2.UserImportJobs) != 1 || aws.ToString(jobs2.UserImportJobs[0].JobId) == aws.ToString(jobs.UserImportJobs[0].JobId) {
			t.Fatal("second page of jobs")
		}
		_, err = c.DescribeUserImportJob(ctx(t), &cip.DescribeUserImportJobInput{UserPoolId: &poolID, JobId: aws.String("import-doesnotexist")})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.StopUserImportJob(ctx(t), &cip.StopUserImportJobInput{UserPoolId: &poolID, JobId: job.JobId})
		wantAPIError(t, err, "PreconditionNotMetException")
		_, err = c.CreateUserImportJob(ctx(t), &cip.CreateUserImportJobInput{UserPoolId: &poolID, JobName: aws.String("bad"), CloudWatchLogsRoleArn: aws.String("not an arn at all, no")})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.GetCSVHeader(ctx(t), &cip.GetCSVHeaderInput{UserPoolId: aws.String("us-east-1_nonexist0")})
		wantAPIError(t, err, "ResourceNotFoundException")
	})
}
