"""boto3's side of tests/node/moto.test.js, run with the virtualenv's python (.tools/moto).

One command per run, its arguments as JSON in argv[2] (the command is argv[1]), its answer as JSON on stdout:
  setup       {endpoint, bucket}: an IAM user with an access key and an S3 policy (the first
              requests after reset-auth go unauthenticated), then the bucket, signed by that key
  put         {endpoint, key_id, secret, bucket, key, data_b64}: put_object
  get         {endpoint, key_id, secret, bucket, key}: {sha256, length} of get_object
  presign     {endpoint, key_id, secret, bucket, key, method, expires, unix}: botocore's
              presigned URL at the fixed time `unix`
  uploads     {endpoint, key_id, secret, bucket}: the open multipart uploads
"""
import base64
import datetime
import hashlib
import json
import sys

import boto3
import botocore.auth
from botocore.config import Config


def client(a, service="s3", key_id=None, secret=None):
    return boto3.client(
        service,
        endpoint_url=a["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=key_id or a.get("key_id") or "bootstrap",
        aws_secret_access_key=secret or a.get("secret") or "bootstrap",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1}),
    )


def setup(a):
    iam = client(a, "iam")
    iam.create_user(UserName="resilient")
    key = iam.create_access_key(UserName="resilient")["AccessKey"]
    iam.put_user_policy(
        UserName="resilient",
        PolicyName="s3",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    s3 = client(a, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    s3.create_bucket(Bucket=a["bucket"])
    return {"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def put(a):
    r = client(a).put_object(Bucket=a["bucket"], Key=a["key"], Body=base64.b64decode(a["data_b64"]))
    return {"etag": r["ETag"]}


def get(a):
    body = client(a).get_object(Bucket=a["bucket"], Key=a["key"])["Body"].read()
    return {"sha256": hashlib.sha256(body).hexdigest(), "length": len(body)}


def presign(a):
    fixed = datetime.datetime.fromtimestamp(a["unix"], datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda: fixed
    op = {"GET": "get_object", "PUT": "put_object", "HEAD": "head_object", "DELETE": "delete_object"}[a["method"]]
    url = client(a).generate_presigned_url(
        op, Params={"Bucket": a["bucket"], "Key": a["key"]}, ExpiresIn=a["expires"]
    )
    return {"url": url}


def uploads(a):
    r = client(a).list_multipart_uploads(Bucket=a["bucket"])
    return {"uploads": [u["Key"] for u in r.get("Uploads", [])]}


if __name__ == "__main__":
    cmd, args = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps({"setup": setup, "put": put, "get": get, "presign": presign, "uploads": uploads}[cmd](args)))
