using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using GenesysDedup.Testing;
using YamlDotNet.RepresentationModel;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// docs/deploy/template.yaml (with lambda/Makefile and samconfig.toml beside it): it parses; every Ref, GetAtt, Sub
/// variable, FindInMap, condition and DependsOn resolves; the function's role grants exactly the four DynamoDB actions
/// the store calls; and what docs/deploy.md promises holds: a build that reaches Lambda, a retained table, capped
/// concurrency, Rules that refuse each misconfiguration, everything invoking alias live, credentials only from Secrets
/// Manager, SourceArn-scoped queue policies and an alarm on every place an event can stop.
/// </summary>
public sealed partial class DeployTemplateTests
{
    private static readonly string DeployDirectory = Path.Combine(RepositoryRoot.Find(), "docs", "deploy");

    private static readonly HashSet<string> PseudoParameters =
    [
        "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId",
        "AWS::StackName", "AWS::URLSuffix",
    ];

    private readonly YamlMappingNode _root = Load();

    private YamlMappingNode Parameters => (YamlMappingNode)_root["Parameters"];

    private YamlMappingNode Resources => (YamlMappingNode)_root["Resources"];

    private YamlMappingNode Conditions => (YamlMappingNode)_root["Conditions"];

    private YamlMappingNode Function => ResourceOfType("AWS::Serverless::Function");

    private string FunctionId => ResourceNameOfType("AWS::Serverless::Function");

    private string AliasName => Scalar(Properties(Function)["AutoPublishAlias"]);

    [Fact]
    public void Template_EveryReferenceResolves()
    {
        var parameters = Names(Parameters);
        var conditions = Names(Conditions);
        var mappings = Names((YamlMappingNode)_root["Mappings"]);
        // What the SAM transform adds for AutoPublishAlias, and may be referred to.
        var resources = Names(Resources).Union([$"{FunctionId}Alias{AliasName}", $"{FunctionId}.Alias", $"{FunctionId}.Version"]).ToHashSet();
        var problems = new List<string>();
        var seen = 0;

        void Check(bool resolves, string what, string where)
        {
            seen++;
            if (!resolves)
            {
                problems.Add($"{where}: {what} does not resolve");
            }
        }

        void CheckRef(string name, string where) =>
            Check(parameters.Contains(name) || resources.Contains(name) || PseudoParameters.Contains(name), $"Ref {name}", where);

        void CheckGetAtt(string resource, string where) => Check(resources.Contains(resource), $"GetAtt/DependsOn {resource}", where);

        void CheckCondition(string name, string where) => Check(conditions.Contains(name), $"condition {name}", where);

        void Walk(YamlNode node, string where)
        {
            var tag = TagOf(node);
            switch (node)
            {
                case YamlScalarNode scalar when tag == "!Ref":
                    CheckRef(scalar.Value!, where);
                    return;
                case YamlScalarNode scalar when tag == "!GetAtt":
                    CheckGetAtt(scalar.Value!.Split('.')[0], where);
                    return;
                case YamlScalarNode scalar when tag == "!Sub":
                    CheckSub(scalar.Value!, [], where);
                    return;
                case YamlScalarNode scalar when tag == "!Condition":
                    CheckCondition(scalar.Value!, where);
                    return;
                case YamlSequenceNode sequence when tag == "!GetAtt":
                    CheckGetAtt(Scalar(sequence[0]), where);
                    return;
                case YamlSequenceNode sequence when tag == "!Sub":
                    CheckSub(Scalar(sequence[0]), Names((YamlMappingNode)sequence[1]), where);
                    Walk(sequence[1], where);
                    return;
                case YamlSequenceNode sequence when tag == "!FindInMap":
                    Check(mappings.Contains(Scalar(sequence[0])), $"mapping {Scalar(sequence[0])}", where);
                    Walk(sequence[1], where);
                    return;
                case YamlSequenceNode sequence when tag == "!If":
                    CheckCondition(Scalar(sequence[0]), where);
                    Walk(sequence[1], where);
                    Walk(sequence[2], where);
                    return;
                case YamlSequenceNode sequence:
                    foreach (var child in sequence)
                    {
                        Walk(child, where);
                    }

                    return;
                case YamlMappingNode mapping:
                    foreach (var (key, value) in mapping)
                    {
                        var name = Scalar(key);
                        switch (name)
                        {
                            case "Condition" when value is YamlScalarNode condition:
                                CheckCondition(condition.Value!, where);
                                break;
                            case "DependsOn":
                                foreach (var dependency in value is YamlSequenceNode deps ? deps.Cast<YamlScalarNode>() : [(YamlScalarNode)value])
                                {
                                    CheckGetAtt(dependency.Value!, where);
                                }

                                break;
                            default:
                                Walk(value, $"{where}.{name}");
                                break;
                        }
                    }

                    return;
            }
        }

        void CheckSub(string text, HashSet<string> local, string where)
        {
            foreach (Match match in SubVariable().Matches(text))
            {
                var variable = match.Groups[1].Value;
                if (variable.StartsWith('!') || local.Contains(variable))
                {
                    continue;
                }

                if (variable.Contains('.', StringComparison.Ordinal) && !variable.StartsWith("AWS::", StringComparison.Ordinal))
                {
                    CheckGetAtt(variable.Split('.')[0], where);
                }
                else
                {
                    CheckRef(variable, where);
                }
            }
        }

        Walk(Resources, "Resources");
        Walk(Conditions, "Conditions");
        Walk(_root["Rules"], "Rules");
        Walk(_root["Outputs"], "Outputs");

        Assert.Empty(problems);
        Assert.True(seen > 100, $"only {seen} references found: is the walker reading the template?");
    }

    [Fact]
    public void FunctionRole_GrantsExactlyTheFourDynamoDbActions_OnTheTableAlone()
    {
        var roleName = GetAttResource(Properties(Function)["Role"]);
        var role = (YamlMappingNode)Resources[roleName];
        Assert.False(Properties(role).Children.ContainsKey("ManagedPolicyArns"), "a managed policy would grant more than the statements list");

        var statements = Statements(role).ToList();
        var dynamo = statements.Where(s => Actions(s).Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal))).ToList();
        var actions = dynamo.SelectMany(Actions).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], actions);
        var resource = (YamlSequenceNode)Assert.Single(dynamo)["Resource"];
        Assert.Equal(("!If", "CreateTable"), (TagOf(resource), Scalar(resource[0])));
        Assert.Equal(ResourceNameOfType("AWS::DynamoDB::Table"), GetAttResource(resource[1]));
        Assert.EndsWith(":table/${ExistingTableName}", Scalar(resource[2]), StringComparison.Ordinal);
        Assert.DoesNotContain(statements, s => Scalar(s["Effect"]) != "Allow");
        Assert.DoesNotContain(statements.SelectMany(Actions), a => a.Contains('*', StringComparison.Ordinal));
        // The one wildcard resource: X-Ray's write actions, which take no narrower one.
        Assert.All(
            statements.Where(s => s["Resource"] is YamlScalarNode { Tag.IsEmpty: true, Value: "*" }),
            s => Assert.All(Actions(s), a => Assert.StartsWith("xray:Put", a, StringComparison.Ordinal)));
    }

    [Fact]
    public void Table_IsKeyedOnEventIdWithTtlOnTtl_PayPerRequest()
    {
        var table = Properties(ResourceOfType("AWS::DynamoDB::Table"));

        Assert.Equal("PAY_PER_REQUEST", Scalar(table["BillingMode"]));
        var key = (YamlMappingNode)((YamlSequenceNode)table["KeySchema"]).Single();
        Assert.Equal(("EventId", "HASH"), (Scalar(key["AttributeName"]), Scalar(key["KeyType"])));
        var attribute = (YamlMappingNode)((YamlSequenceNode)table["AttributeDefinitions"]).Single();
        Assert.Equal(("EventId", "S"), (Scalar(attribute["AttributeName"]), Scalar(attribute["AttributeType"])));
        var ttl = (YamlMappingNode)table["TimeToLiveSpecification"];
        Assert.Equal(("TTL", "true"), (Scalar(ttl["AttributeName"]), Scalar(ttl["Enabled"])));
    }

    [Fact]
    public void Table_OutlivesTheStackAndItsReplacement_AndHasNoFixedName()
    {
        var table = ResourceOfType("AWS::DynamoDB::Table");

        Assert.Equal("Retain", Scalar(table["DeletionPolicy"]));
        Assert.Equal("Retain", Scalar(table["UpdateReplacePolicy"]));
        Assert.Equal("true", Scalar(Properties(table)["DeletionProtectionEnabled"]));
        Assert.False(Properties(table).Children.ContainsKey("TableName"), "a fixed name blocks every update that replaces the table");
        // A KMS key (and its per-request charge) only when asked for.
        var sse = (YamlSequenceNode)Properties(table)["SSESpecification"];
        Assert.Equal(("!If", "TableKms", "AWS::NoValue"), (TagOf(sse), Scalar(sse[0]), RefName(sse[2])));
        Assert.Equal("false", Scalar(((YamlMappingNode)Parameters["TableKmsEncryption"])["Default"]));
    }

    [Fact]
    public void Function_IsTheBootstrapOnProvidedAl2023_WithTheDynamoDbStore()
    {
        var function = Properties(Function);
        var variables = (YamlMappingNode)((YamlMappingNode)function["Environment"])["Variables"];
        var tableName = (YamlSequenceNode)variables["DEDUP_TABLE_NAME"];

        Assert.Equal("provided.al2023", Scalar(function["Runtime"]));
        Assert.Equal("bootstrap", Scalar(function["Handler"]));
        Assert.Equal("dynamodb", Scalar(variables["Dedup__Store"]));
        Assert.Equal(ResourceNameOfType("AWS::DynamoDB::Table"), RefName(tableName[1]));
        Assert.Equal("ExistingTableName", RefName(tableName[2]));
    }

    [Fact]
    public void Function_IsBuiltByTheMakefileAtItsCodeUri_AndEveryBuildOrSettingPublishesTheAlias()
    {
        var function = Properties(Function);
        var codeUri = Scalar(function["CodeUri"]);
        var makefile = File.ReadAllText(Path.Combine(DeployDirectory, codeUri, "Makefile"));

        // A local folder: sam deploy and aws cloudformation package upload it under a key named by its content hash.
        Assert.False(function.Children.ContainsKey("Code"), "a fixed S3 key never brings a rebuilt bootstrap to Lambda");
        Assert.DoesNotMatch("^s3://", codeUri);
        Assert.Equal("makefile", Scalar(((YamlMappingNode)Function["Metadata"])["BuildMethod"]));
        Assert.Matches(new Regex($"^build-{FunctionId}:", RegexOptions.Multiline), makefile);
        Assert.Contains("-p:PublishAot=true", makefile, StringComparison.Ordinal);
        Assert.Equal("live", AliasName);
        Assert.Equal("true", Scalar(function["AutoPublishAliasAllProperties"]));
        Assert.Equal("Architecture", RefName(((YamlSequenceNode)function["Architectures"]).Single()));
    }

    [Fact]
    public void SamConfig_BuildsInSource_AndDeploysWithTheTransformsCapability()
    {
        var config = File.ReadAllText(Path.Combine(DeployDirectory, "samconfig.toml"));

        // The Makefile reaches the repository through ../../..: a copy of lambda/ elsewhere would not find it.
        Assert.Matches(@"(?m)^\[default\.build\.parameters\]\s*\nbuild_in_source = true$", config);
        Assert.Matches(@"(?m)^capabilities = "".*CAPABILITY_IAM.*CAPABILITY_AUTO_EXPAND.*""$", config);
        Assert.Matches(@"(?m)^resolve_s3 = true$", config);
        Assert.Equal("AWS::Serverless-2016-10-31", Scalar(_root["Transform"]));
    }

    [Fact]
    public void EveryInvoker_InvokesAliasLive()
    {
        var alias = $"{FunctionId}.Alias";
        var rule = Properties((YamlMappingNode)Resources["FunctionRule"]);
        var permission = Properties(ResourceOfType("AWS::Lambda::Permission"));
        var mapping = Properties(ResourceOfType("AWS::Lambda::EventSourceMapping"));
        var invokeConfig = ResourceOfType("AWS::Lambda::EventInvokeConfig");

        Assert.Equal(alias, RefName(((YamlMappingNode)((YamlSequenceNode)rule["Targets"]).Single())["Arn"]));
        Assert.Equal(alias, RefName(permission["FunctionName"]));
        Assert.Equal(alias, RefName(mapping["FunctionName"]));
        Assert.Equal(AliasName, Scalar(Properties(invokeConfig)["Qualifier"]));
        Assert.Equal($"{FunctionId}Alias{AliasName}", Scalar(invokeConfig["DependsOn"]));
        Assert.Equal(alias, RefName(((YamlMappingNode)((YamlMappingNode)_root["Outputs"])["LiveAlias"])["Value"]));
    }

    [Fact]
    public void Concurrency_IsCappedByParameters()
    {
        var reserved = (YamlSequenceNode)Properties(Function)["ReservedConcurrentExecutions"];
        var scaling = (YamlMappingNode)Properties(ResourceOfType("AWS::Lambda::EventSourceMapping"))["ScalingConfig"];

        Assert.Equal(("ReserveConcurrency", "ReservedConcurrency"), (Scalar(reserved[0]), RefName(reserved[1])));
        Assert.Equal("QueueMaximumConcurrency", RefName(scaling["MaximumConcurrency"]));
        Assert.NotEqual("0", Scalar(((YamlMappingNode)Parameters["ReservedConcurrency"])["Default"]));
        Assert.Equal("2", Scalar(((YamlMappingNode)Parameters["QueueMaximumConcurrency"])["MinValue"]));
    }

    [Fact]
    public void OperationsSettings_AreParameters()
    {
        var function = Properties(Function);
        var logging = (YamlMappingNode)function["LoggingConfig"];
        var level = (YamlSequenceNode)logging["ApplicationLogLevel"];

        Assert.Equal("LogFormat", RefName(logging["LogFormat"]));
        Assert.Equal(("JsonLogs", "LogLevel"), (Scalar(level[0]), RefName(level[1])));
        Assert.Equal("Tracing", RefName(function["Tracing"]));
        // With the Text format Lambda sets no level: the host's own Logging key carries it.
        var hostLevel = (YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)function["Environment"])["Variables"])["Logging__LogLevel__Default"];
        Assert.Equal("LogLevel", RefName(hostLevel[1]));
        var levels = Scalars(((YamlMappingNode)Parameters["LogLevel"])["AllowedValues"]);
        Assert.Equal(levels.Order(), Names((YamlMappingNode)((YamlMappingNode)_root["Mappings"])["HostLogLevel"]).Order());
    }

    [Fact]
    public void QueueVisibility_IsSixFunctionTimeoutsPlusTheBatchingWindow_ForEveryAllowedTimeout()
    {
        var queue = Properties((YamlMappingNode)Resources["EventQueue"]);
        var lookup = (YamlSequenceNode)queue["VisibilityTimeout"];
        var map = (YamlMappingNode)((YamlMappingNode)_root["Mappings"])[Scalar(lookup[0])];
        var window = int.Parse(Scalar(Properties(ResourceOfType("AWS::Lambda::EventSourceMapping"))["MaximumBatchingWindowInSeconds"]), CultureInfo.InvariantCulture);
        var timeouts = Scalars(((YamlMappingNode)Parameters["FunctionTimeoutSeconds"])["AllowedValues"]);

        Assert.Equal("FunctionTimeoutSeconds", RefName(lookup[1]));
        Assert.Equal(timeouts.Order(), Names(map).Order());
        Assert.All(timeouts, timeout => Assert.True(
            int.Parse(Scalar(((YamlMappingNode)map[timeout])["Seconds"]), CultureInfo.InvariantCulture) >= (6 * int.Parse(timeout, CultureInfo.InvariantCulture)) + window,
            $"visibility for a {timeout} s function"));
    }

    [Theory]
    [InlineData("HandlerKind=http", "DownstreamUrl")]
    [InlineData("HttpHostEventsUrl=https://dedup.example.com/events", "HttpHostSecret")]
    [InlineData("HttpHostEventsUrl=https://dedup.example.com/events;HttpHostSecret=dedup;HttpHostAuth=OAUTH_CLIENT_CREDENTIALS", "HttpHostOAuthTokenUrl")]
    public void Rules_RefuseAMisconfiguration_NamingWhatIsMissing(string settings, string missing)
    {
        var failed = FailedAssertions(Parse(settings));

        Assert.Contains(failed, description => description.Contains(missing, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("HandlerKind=http;DownstreamUrl=https://crm.example.com/genesys")]
    [InlineData("HttpHostEventsUrl=https://dedup.example.com/events;HttpHostSecret=dedup")]
    [InlineData("HttpHostEventsUrl=https://dedup.example.com/events;HttpHostSecret=dedup;HttpHostAuth=BASIC")]
    [InlineData("HttpHostEventsUrl=https://dedup.example.com/events;HttpHostSecret=dedup;HttpHostAuth=OAUTH_CLIENT_CREDENTIALS;HttpHostOAuthTokenUrl=https://id.example.com/token")]
    public void Rules_AcceptAWorkingConfiguration(string settings)
    {
        Assert.Empty(FailedAssertions(Parse(settings)));
    }

    [Fact]
    public void Credentials_ComeOnlyFromSecretsManager()
    {
        var connection = Properties(ResourceOfType("AWS::Events::Connection"));
        var values = Leaves(connection["AuthParameters"]).ToList();
        var credentials = values.Where(v => TagOf(v) == "!Sub").Select(v => v.Value!).ToList();

        Assert.DoesNotContain(Parameters.Children.Values.Cast<YamlMappingNode>(), p => p.Children.ContainsKey("NoEcho"));
        Assert.Equal("HttpHostAuth", RefName(connection["AuthorizationType"]));
        Assert.Equal(
            ["API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS"],
            Scalars(((YamlMappingNode)Parameters["HttpHostAuth"])["AllowedValues"]).Order(StringComparer.Ordinal));
        Assert.Equal(5, credentials.Count); // apiKey; username, password; clientId, clientSecret
        Assert.All(credentials, c => Assert.Matches(@"^\{\{resolve:secretsmanager:\$\{HttpHostSecret\}:SecretString:\w+\}\}$", c));
        Assert.DoesNotContain(values, v => TagOf(v) == "!Ref" && v.Value != "HttpHostOAuthTokenUrl" && v.Value != "AWS::NoValue");
    }

    [Fact]
    public void Rules_MatchTheGenesysPartnerSourcePrefix_OnThePartnerBus()
    {
        var rules = ResourcesOfType("AWS::Events::Rule").ToList();

        Assert.Equal(3, rules.Count);
        Assert.All(rules, rule =>
        {
            var properties = Properties(rule);
            Assert.Equal("PartnerEventBusName", RefName(properties["EventBusName"]));
            var source = (YamlSequenceNode)((YamlMappingNode)properties["EventPattern"])["source"];
            Assert.Equal("aws.partner/genesys.com", Scalar(((YamlMappingNode)source.Single())["prefix"]));
        });
    }

    [Fact]
    public void QueuePolicies_LetEventBridgeSendOnlyFromThisStacksRules()
    {
        var rules = ResourcesOfType("AWS::Events::Rule").Select(r => Resources.Children.Single(c => c.Value == r).Key).Select(Scalar).ToHashSet();
        var statements = ResourcesOfType("AWS::SQS::QueuePolicy")
            .SelectMany(p => ((YamlSequenceNode)((YamlMappingNode)Properties(p)["PolicyDocument"])["Statement"]).Cast<YamlMappingNode>())
            .ToList();

        Assert.Equal(2, statements.Count);
        Assert.All(statements, statement =>
        {
            var condition = (YamlMappingNode)statement["Condition"];
            Assert.Equal(["ArnEquals"], Names(condition));
            var sources = Leaves(((YamlMappingNode)condition["ArnEquals"])["aws:SourceArn"]).Where(l => TagOf(l) == "!GetAtt").Select(l => l.Value!.Split('.')[0]).ToList();
            Assert.NotEmpty(sources);
            Assert.All(sources, source => Assert.Contains(source, rules));
        });
        // Every rule that sends to a queue is let in by that queue's policy.
        Assert.All(rules, rule => Assert.Contains(statements, s => Leaves(s["Condition"]).Any(l => l.Value == $"{rule}.Arn")));
    }

    [Fact]
    public void EveryQueue_HasAnAlarm_UnderTheSameCondition()
    {
        var alarms = ResourcesOfType("AWS::CloudWatch::Alarm").ToList();

        Assert.All(Resources.Children.Where(r => Scalar(((YamlMappingNode)r.Value)["Type"]) == "AWS::SQS::Queue"), queue =>
        {
            var name = Scalar(queue.Key);
            var alarm = Assert.Single(alarms, a => Leaves(a).Any(l => TagOf(l) == "!GetAtt" && l.Value == $"{name}.QueueName"));
            Assert.Equal(ConditionOf((YamlMappingNode)queue.Value), ConditionOf(alarm));
        });
    }

    [Theory]
    [InlineData("AWS/Lambda", "Throttles", null)]
    [InlineData("AWS/Lambda", "AsyncEventsDropped", "UseDirect")]
    [InlineData("AWS/Lambda", "DestinationDeliveryFailures", "UseDirect")]
    public void FunctionMetric_HasAnAlarm(string metricNamespace, string metric, string? condition)
    {
        var alarm = Assert.Single(ResourcesOfType("AWS::CloudWatch::Alarm"), a => Properties(a).Children.TryGetValue("MetricName", out var name) && Scalar(name) == metric);

        Assert.Equal(metricNamespace, Scalar(Properties(alarm)["Namespace"]));
        Assert.Equal(FunctionId, RefName(((YamlMappingNode)((YamlSequenceNode)Properties(alarm)["Dimensions"]).Single())["Value"]));
        Assert.Equal(condition, ConditionOf(alarm));
    }

    [Fact]
    public void EveryRule_HasAnAlarmOnWhatItCouldNotDeliver()
    {
        var alarms = ResourcesOfType("AWS::CloudWatch::Alarm").Where(a => Properties(a).Children.ContainsKey("Metrics")).ToList();

        Assert.All(ResourcesOfType("AWS::Events::Rule"), rule =>
        {
            var name = Scalar(Properties(rule)["Name"]);
            var alarm = Assert.Single(alarms, a => Leaves(a).Any(l => l.Value == name));
            var metrics = ((YamlSequenceNode)Properties(alarm)["Metrics"]).Cast<YamlMappingNode>().ToList();
            var stats = metrics.Where(m => m.Children.ContainsKey("MetricStat")).Select(m => (YamlMappingNode)((YamlMappingNode)m["MetricStat"])["Metric"]).ToList();

            Assert.Equal(
                ["FailedInvocations", "InvocationsFailedToBeSentToDlq", "InvocationsSentToDlq"],
                stats.Select(s => Scalar(s["MetricName"])).Order(StringComparer.Ordinal));
            // Rules on a partner (custom) bus publish their metrics with both dimensions.
            Assert.All(stats, s => Assert.Equal(["EventBusName", "RuleName"], ((YamlSequenceNode)s["Dimensions"]).Cast<YamlMappingNode>().Select(d => Scalar(d["Name"]))));
            Assert.Single(metrics, m => !m.Children.ContainsKey("ReturnData"));
        });
    }

    [Theory]
    [InlineData("Events", "store_unavailable")]
    [InlineData("Events", "failed")]
    [InlineData("LeaseLost", null)]
    public void HostMetric_HasAnAlarm_OnTheFunctionsEmbeddedMetrics(string metric, string? outcome)
    {
        var alarm = Assert.Single(ResourcesOfType("AWS::CloudWatch::Alarm"), a =>
            Properties(a).Children.TryGetValue("MetricName", out var name) && Scalar(name) == metric
            && (outcome is null || Leaves(Properties(a)["Dimensions"]).Any(l => l.Value == outcome)));
        var dimensions = ((YamlSequenceNode)Properties(alarm)["Dimensions"]).Cast<YamlMappingNode>().ToDictionary(d => Scalar(d["Name"]), d => d["Value"]);

        Assert.Equal("GenesysDedup", Scalar(Properties(alarm)["Namespace"]));
        Assert.Equal(outcome is null ? new[] { "FunctionName" } : ["FunctionName", "Outcome"], dimensions.Keys);
        Assert.Equal("FunctionName", RefName(dimensions["FunctionName"])); // AWS_LAMBDA_FUNCTION_NAME, the host's dimension
        Assert.Equal("FunctionName", RefName(Properties(Function)["FunctionName"]));
    }

    [Fact]
    public void EveryAlarm_NotifiesTheTopicParameter_AndTreatsNoDataAsFine()
    {
        var alarms = ResourcesOfType("AWS::CloudWatch::Alarm").ToList();

        Assert.True(alarms.Count >= 12, $"{alarms.Count} alarms");
        Assert.All(alarms, alarm =>
        {
            var actions = (YamlSequenceNode)Properties(alarm)["AlarmActions"];
            Assert.Equal(("!If", "HasAlarmTopic"), (TagOf(actions), Scalar(actions[0])));
            Assert.Equal("AlarmTopicArn", RefName(((YamlSequenceNode)actions[1]).Single()));
            Assert.Equal("notBreaching", Scalar(Properties(alarm)["TreatMissingData"]));
            Assert.True(Properties(alarm).Children.ContainsKey("AlarmDescription"));
        });
    }

    [Fact]
    public void Dashboard_IsValidJson_ShowingTheHostsMetricsAndEveryAlarmedAwsMetric()
    {
        var body = Scalar(Properties(ResourceOfType("AWS::CloudWatch::Dashboard"))["DashboardBody"]);
        var substituted = SubVariable().Replace(body, "x");

        using var json = JsonDocument.Parse(substituted);
        Assert.Equal(6, json.RootElement.GetProperty("widgets").GetArrayLength());
        foreach (var metric in new[] { "Events", "LeaseLost", "StoreDuration", "HandlerDuration", "store_unavailable", "Throttles", "AsyncEventsDropped", "DestinationDeliveryFailures", "ApproximateNumberOfMessagesVisible", "FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq" })
        {
            Assert.Contains($"\"{metric}\"", body.Replace("\\\"", "\"", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DirectDelivery_RetriesTwice_ThenSendsToAnSqsQueue()
    {
        var config = Properties(ResourceOfType("AWS::Lambda::EventInvokeConfig"));
        var destination = (YamlMappingNode)((YamlMappingNode)config["DestinationConfig"])["OnFailure"];

        Assert.Equal("2", Scalar(config["MaximumRetryAttempts"]));
        Assert.Equal("AWS::SQS::Queue", TypeOf(GetAttResource(destination["Destination"])));
    }

    [Fact]
    public void SqsDelivery_ReportsBatchItemFailures_AndRedrivesToADeadLetterQueue()
    {
        var mapping = Properties(ResourceOfType("AWS::Lambda::EventSourceMapping"));
        var queueName = GetAttResource(mapping["EventSourceArn"]);
        var redrive = (YamlMappingNode)Properties((YamlMappingNode)Resources[queueName])["RedrivePolicy"];

        Assert.Contains("ReportBatchItemFailures", Scalars(mapping["FunctionResponseTypes"]));
        Assert.Equal("AWS::SQS::Queue", TypeOf(queueName));
        Assert.Equal("AWS::SQS::Queue", TypeOf(GetAttResource(redrive["deadLetterTargetArn"])));
    }

    [Fact]
    public void EveryQueue_TakesOneMebibyteMessages()
    {
        // SQS's own default is still 256 KiB: a larger event would fail to reach the queue, or its dead-letter record.
        var queues = ResourcesOfType("AWS::SQS::Queue").ToList();

        Assert.Equal(4, queues.Count);
        Assert.All(queues, queue => Assert.Equal("1048576", Scalar(Properties(queue)["MaximumMessageSize"])));
    }

    private static YamlMappingNode Load()
    {
        using var reader = new StreamReader(Path.Combine(DeployDirectory, "template.yaml"));
        var stream = new YamlStream();
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    /// <summary>The AssertDescription of every assertion that fails for these parameter values (defaults for the rest).</summary>
    private List<string> FailedAssertions(Dictionary<string, string> settings)
    {
        var values = Parameters.Children.ToDictionary(
            p => Scalar(p.Key),
            p => settings.TryGetValue(Scalar(p.Key), out var set) ? set : ((YamlMappingNode)p.Value).Children.TryGetValue("Default", out var d) ? Scalar(d) : "");
        var failed = new List<string>();
        foreach (var rule in ((YamlMappingNode)_root["Rules"]).Children.Values.Cast<YamlMappingNode>())
        {
            if (rule.Children.TryGetValue("RuleCondition", out var condition) && !Holds(condition, values))
            {
                continue;
            }

            failed.AddRange(((YamlSequenceNode)rule["Assertions"]).Cast<YamlMappingNode>()
                .Where(a => !Holds(a["Assert"], values))
                .Select(a => Scalar(a["AssertDescription"])));
        }

        return failed;
    }

    /// <summary>The rule functions the template uses, evaluated as CloudFormation does.</summary>
    private static bool Holds(YamlNode node, Dictionary<string, string> values)
    {
        var arguments = (YamlSequenceNode)node;
        return TagOf(arguments) switch
        {
            "!Equals" => Value(arguments[0], values) == Value(arguments[1], values),
            "!Not" => !Holds(arguments[0], values),
            "!And" => arguments.All(a => Holds(a, values)),
            "!Or" => arguments.Any(a => Holds(a, values)),
            var other => throw new InvalidOperationException($"rule function {other} is not evaluated here"),
        };
    }

    private static string Value(YamlNode node, Dictionary<string, string> values) =>
        TagOf(node) == "!Ref" ? values[Scalar(node)] : Scalar(node);

    private static Dictionary<string, string> Parse(string settings) =>
        settings.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Split('=', 2)).ToDictionary(s => s[0], s => s[1]);

    private static HashSet<string> Names(YamlMappingNode mapping) => [.. mapping.Children.Keys.Select(Scalar)];

    private static YamlMappingNode Properties(YamlMappingNode resource) => (YamlMappingNode)resource["Properties"];

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value!;

    private static string? TagOf(YamlNode node) => node.Tag.IsEmpty ? null : node.Tag.Value;

    private static List<string> Scalars(YamlNode node) => [.. ((YamlSequenceNode)node).Select(Scalar)];

    private static string? ConditionOf(YamlMappingNode resource) =>
        resource.Children.TryGetValue("Condition", out var condition) ? Scalar(condition) : null;

    /// <summary>Every scalar under <paramref name="node"/>, keys excluded.</summary>
    private static IEnumerable<YamlScalarNode> Leaves(YamlNode node) => node switch
    {
        YamlScalarNode scalar => [scalar],
        YamlSequenceNode sequence => sequence.SelectMany(Leaves),
        YamlMappingNode mapping => mapping.Children.Values.SelectMany(Leaves),
        _ => [],
    };

    private IEnumerable<YamlMappingNode> ResourcesOfType(string type) =>
        Resources.Children.Values.Cast<YamlMappingNode>().Where(r => Scalar(r["Type"]) == type);

    private YamlMappingNode ResourceOfType(string type) => ResourcesOfType(type).Single();

    private string ResourceNameOfType(string type) =>
        Scalar(Resources.Children.Single(r => Scalar(((YamlMappingNode)r.Value)["Type"]) == type).Key);

    private string TypeOf(string resourceName) => Scalar(((YamlMappingNode)Resources[resourceName])["Type"]);

    private static string RefName(YamlNode node) => node switch
    {
        YamlScalarNode { Tag.Value: "!Ref" } scalar => scalar.Value!,
        YamlMappingNode mapping when mapping.Children.ContainsKey("Ref") => Scalar(mapping["Ref"]),
        _ => throw new InvalidOperationException($"not a Ref: {node}"),
    };

    private static string GetAttResource(YamlNode node) => node switch
    {
        YamlScalarNode { Tag.Value: "!GetAtt" } scalar => scalar.Value!.Split('.')[0],
        YamlSequenceNode { Tag.Value: "!GetAtt" } sequence => Scalar(sequence[0]),
        _ => throw new InvalidOperationException($"not a GetAtt: {node}"),
    };

    /// <summary>Every statement of the role's inline policies, both branches of an <c>!If</c> included.</summary>
    private static IEnumerable<YamlMappingNode> Statements(YamlMappingNode role)
    {
        static IEnumerable<YamlMappingNode> Branches(YamlNode node) => node is YamlSequenceNode { Tag.Value: "!If" } branches
            ? branches.Skip(1).OfType<YamlMappingNode>()
            : [(YamlMappingNode)node];

        foreach (var policy in ((YamlSequenceNode)Properties(role)["Policies"]).SelectMany(Branches))
        {
            foreach (var statement in ((YamlSequenceNode)((YamlMappingNode)policy["PolicyDocument"])["Statement"]).SelectMany(Branches))
            {
                yield return statement;
            }
        }
    }

    private static IEnumerable<string> Actions(YamlMappingNode statement) => statement["Action"] switch
    {
        YamlScalarNode single => [single.Value!],
        YamlSequenceNode list => list.Select(Scalar),
        var other => throw new InvalidOperationException($"unexpected Action: {other}"),
    };

    [GeneratedRegex(@"\$\{([^}]+)\}")]
    private static partial Regex SubVariable();
}
