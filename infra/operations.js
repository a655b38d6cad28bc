'use strict';
/**
 * What an operator runs the stack with (`${file(infra/operations.js):resources}` in serverless.yml):
 * alarms and where they go, a dashboard, the issuer's custom domain, and the HTTP API stage's
 * throttling. Every knob is a stage parameter with a default (docs/guides/operating.md):
 *
 *   alarmTopicArn                      SNS topic the alarms notify; unset: the stack creates one
 *   alarmEmail                         an address subscribed to the created topic (optional)
 *   loginFailuresAlarmThreshold        100  failed password checks per 5 minutes
 *   refreshTokenReuseAlarmThreshold    10   reuse detections per 5 minutes
 *   serverErrorsAlarmThreshold         5    5xx answers per 5 minutes
 *   authorizerUnavailableAlarmThreshold 1   authorizer_unavailable per 5 minutes (key store or DynamoDB)
 *   functionErrorsAlarmThreshold       5    Lambda Errors of one function per 5 minutes
 *   certificateArn                     ACM certificate (same region) for the custom domain; unset: no domain
 *   domainName                         default: the host of `issuer`
 *   hostedZoneId                       Route 53 zone to hold the domain's alias record (optional)
 *   throttleRateLimit                  100  requests per second, each route (stage default)
 *   throttleBurstLimit                 200  burst, each route
 *
 * The custom metrics are the EMF lines of lib/metrics.ts (namespace, names, dimensions below).
 */
const { FUNCTIONS, functionLogicalId } = require('./functions');

const NAMESPACE = 'LambdaJwtAuth';
const PERIOD_SECONDS = 300;

/** Defaults of the numeric parameters. */
const DEFAULTS = {
  loginFailuresAlarmThreshold: 100,
  refreshTokenReuseAlarmThreshold: 10,
  serverErrorsAlarmThreshold: 5,
  authorizerUnavailableAlarmThreshold: 1,
  functionErrorsAlarmThreshold: 5,
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
};

async function param(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}, ''`);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value.trim() : value;
}

async function number(resolveVariable, name) {
  const raw = await param(resolveVariable, name);
  if (raw === '') return DEFAULTS[name];
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number from 1, got "${raw}"`);
  return value;
}

/** Everything this file derives from the stage parameters. */
async function settings({ resolveVariable }) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const issuer = String(await param(resolveVariable, 'issuer'));
  const s = { service, stage, issuer };
  for (const name of Object.keys(DEFAULTS)) s[name] = await number(resolveVariable, name);

  s.alarmTopicArn = await param(resolveVariable, 'alarmTopicArn');
  if (s.alarmTopicArn && !/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/.test(s.alarmTopicArn)) {
    throw new Error(`alarmTopicArn must be an SNS topic ARN, got "${s.alarmTopicArn}"`);
  }
  s.alarmEmail = await param(resolveVariable, 'alarmEmail');
  if (s.alarmEmail && s.alarmTopicArn) throw new Error('alarmEmail subscribes to the topic the stack creates: subscribe it to your alarmTopicArn yourself');

  s.certificateArn = await param(resolveVariable, 'certificateArn');
  s.hostedZoneId = await param(resolveVariable, 'hostedZoneId');
  const givenDomain = await param(resolveVariable, 'domainName');
  if (s.certificateArn && !/^arn:aws[\w-]*:acm:[\w-]+:\d{12}:certificate\/[\w-]+$/.test(s.certificateArn)) {
    throw new Error(`certificateArn must be an ACM certificate ARN, got "${s.certificateArn}"`);
  }
  if (!s.certificateArn && (givenDomain || s.hostedZoneId)) throw new Error('domainName and hostedZoneId need certificateArn (the custom domain\'s certificate)');
  let issuerUrl;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    issuerUrl = undefined;
  }
  s.domainName = givenDomain || issuerUrl?.hostname || '';
  if (s.certificateArn && !s.domainName) throw new Error('give --param=domainName=... (the issuer has no host to take it from)');
  // An issuer with a path (https://example.com/auth) is served under that path of its host.
  s.apiMappingKey = issuerUrl && issuerUrl.hostname === s.domainName ? issuerUrl.pathname.replace(/^\/+|\/+$/g, '') : '';
  return s;
}

const topic = (s) => (s.alarmTopicArn ? s.alarmTopicArn : { Ref: 'AlarmTopic' });

function alarm(s, { description, metric, namespace = NAMESPACE, dimensions, threshold }) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: `${s.service} ${s.stage}: ${description}`,
      Namespace: namespace,
      MetricName: metric,
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: PERIOD_SECONDS,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // No line written means nothing happened: the custom metrics have no data when all is well.
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic(s)],
      OKActions: [topic(s)],
    },
  };
}

const serviceDimensions = (s) => [
  { Name: 'Service', Value: s.service },
  { Name: 'Stage', Value: s.stage },
];

function alarms(s) {
  const custom = (metric, description, threshold) => alarm(s, { metric, description, threshold, dimensions: serviceDimensions(s) });
  const resources = {
    AuthorizerUnavailableAlarm: custom(
      'AuthorizerUnavailable',
      'the authorizer cannot read the key set or session state (Secrets Manager or DynamoDB failing); it denies every token meanwhile',
      s.authorizerUnavailableAlarmThreshold,
    ),
    ServerErrorsAlarm: custom('ServerErrors', '5xx answers (503: a dependency such as DynamoDB or the key store is down; 500: a bug)', s.serverErrorsAlarmThreshold),
    RefreshTokenReuseAlarm: custom('RefreshTokenReuse', 'refresh-token reuse detections (stolen tokens replayed, or a client racing itself past the grace window)', s.refreshTokenReuseAlarmThreshold),
    LoginFailuresAlarm: custom('LoginFailures', 'failed password checks (credential stuffing or password spraying)', s.loginFailuresAlarmThreshold),
  };
  for (const fn of FUNCTIONS) {
    const id = functionLogicalId(fn);
    resources[id.replace(/LambdaFunction$/, 'ErrorsAlarm')] = alarm(s, {
      description: `errors of the ${fn.name} function (uncaught, timeouts, crashes at start)`,
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
      threshold: s.functionErrorsAlarmThreshold,
    });
  }
  return resources;
}

/** The dashboard's JSON body, with `${...}` references Fn::Sub fills in (region, API, function names, alarm ARNs). */
function dashboardBody(s, alarmIds) {
  const dims = ['Service', s.service, 'Stage', s.stage];
  const custom = (name) => [NAMESPACE, name, ...dims];
  const widget = (title, metrics, extra = {}, size = { width: 12, height: 6 }) => ({
    type: 'metric',
    ...size,
    properties: { title, region: '${AWS::Region}', view: 'timeSeries', stat: 'Sum', period: PERIOD_SECONDS, metrics, ...extra },
  });
  const perFunction = (metric, stat) => FUNCTIONS.map((fn) => ['AWS/Lambda', metric, 'FunctionName', `\${${functionLogicalId(fn)}}`, { stat, label: fn.name }]);
  const widgets = [
    { type: 'alarm', width: 24, height: 3, properties: { title: 'Alarms', alarms: alarmIds.map((id) => `\${${id}.Arn}`) } },
    widget('Sign-ins', [custom('Logins'), custom('LoginFailures'), custom('LoginsThrottled')]),
    widget('Failures and attacks', [custom('AuthorizerUnavailable'), custom('ServerErrors'), custom('RefreshTokenReuse')]),
    widget('HTTP API requests', [
      ['AWS/ApiGateway', 'Count', 'ApiId', '${HttpApi}'],
      ['AWS/ApiGateway', '4xx', 'ApiId', '${HttpApi}'],
      ['AWS/ApiGateway', '5xx', 'ApiId', '${HttpApi}'],
    ]),
    widget('HTTP API latency (ms)', [
      ['AWS/ApiGateway', 'Latency', 'ApiId', '${HttpApi}', { stat: 'p50' }],
      ['AWS/ApiGateway', 'Latency', 'ApiId', '${HttpApi}', { stat: 'p99' }],
    ], { stat: 'p99' }),
    widget('Function errors', perFunction('Errors', 'Sum')),
    widget('Function throttles', perFunction('Throttles', 'Sum')),
    widget('Function duration p99 (ms)', perFunction('Duration', 'p99'), { stat: 'p99' }, { width: 24, height: 6 }),
  ];
  return JSON.stringify({ widgets });
}

function customDomain(s) {
  if (!s.certificateArn) return { Resources: {}, Outputs: {} };
  const Resources = {
    ApiDomainName: {
      Type: 'AWS::ApiGatewayV2::DomainName',
      Properties: {
        DomainName: s.domainName,
        DomainNameConfigurations: [{ CertificateArn: s.certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
      },
    },
    ApiDomainMapping: {
      Type: 'AWS::ApiGatewayV2::ApiMapping',
      // The stage must exist before a mapping can name it.
      DependsOn: ['HttpApiStage'],
      Properties: {
        DomainName: { Ref: 'ApiDomainName' },
        ApiId: { Ref: 'HttpApi' },
        Stage: '$default',
        ...(s.apiMappingKey ? { ApiMappingKey: s.apiMappingKey } : {}),
      },
    },
  };
  if (s.hostedZoneId) {
    Resources.ApiDomainRecord = {
      Type: 'AWS::Route53::RecordSet',
      Properties: {
        HostedZoneId: s.hostedZoneId,
        Name: s.domainName,
        Type: 'A',
        AliasTarget: {
          DNSName: { 'Fn::GetAtt': ['ApiDomainName', 'RegionalDomainName'] },
          HostedZoneId: { 'Fn::GetAtt': ['ApiDomainName', 'RegionalHostedZoneId'] },
          EvaluateTargetHealth: false,
        },
      },
    };
  }
  const Outputs = {
    CustomDomainTarget: {
      Description: `Where ${s.domainName} must point (an alias or CNAME record${s.hostedZoneId ? '; the stack made it' : ', not made by the stack: no hostedZoneId'}).`,
      Value: { 'Fn::GetAtt': ['ApiDomainName', 'RegionalDomainName'] },
    },
  };
  return { Resources, Outputs };
}

/** `${file(infra/operations.js):resources}` */
async function resources({ resolveVariable }) {
  const s = await settings({ resolveVariable });
  const Resources = {};
  if (!s.alarmTopicArn) {
    Resources.AlarmTopic = { Type: 'AWS::SNS::Topic', Properties: { DisplayName: `${s.service} ${s.stage} alarms` } };
    if (s.alarmEmail) {
      Resources.AlarmEmailSubscription = { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: s.alarmEmail } };
    }
  }
  const alarmResources = alarms(s);
  Object.assign(Resources, alarmResources);
  Resources.Dashboard = {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: `${s.service}-${s.stage}`,
      DashboardBody: { 'Fn::Sub': dashboardBody(s, ['AuthorizerUnavailableAlarm', 'ServerErrorsAlarm', 'RefreshTokenReuseAlarm', 'LoginFailuresAlarm']) },
    },
  };
  const domain = customDomain(s);
  Object.assign(Resources, domain.Resources);
  return {
    Resources,
    Outputs: {
      ...domain.Outputs,
      AlarmTopicArn: { Description: 'SNS topic the alarms notify.', Value: topic(s) },
      DashboardUrl: {
        Description: 'CloudWatch dashboard of the stack.',
        Value: { 'Fn::Sub': `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards:name=${s.service}-${s.stage}` },
      },
      IssuerDiscoveryUrl: {
        Description: 'OpenID Connect discovery at the issuer: what verifiers (and API Gateway\'s JWT authorizer) fetch. It answers once the issuer\'s host is served by this API (certificateArn, or a mapping of your own).',
        Value: `${s.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
      },
    },
    // Stage throttling: API Gateway's default for each route of the HTTP API.
    extensions: {
      HttpApiStage: {
        Properties: {
          DefaultRouteSettings: { ThrottlingRateLimit: s.throttleRateLimit, ThrottlingBurstLimit: s.throttleBurstLimit },
        },
      },
    },
  };
}

/**
 * The HTTP API's access log line (`provider.logs.httpApi.format`): who called what, the answer and
 * its timings, and why the gateway itself refused if it did. No header is logged: the
 * Authorization header and the refresh cookie never reach it.
 */
function accessLogFormat() {
  return JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    domainName: '$context.domainName',
  });
}

module.exports = { DEFAULTS, NAMESPACE, settings, resources, accessLogFormat };
