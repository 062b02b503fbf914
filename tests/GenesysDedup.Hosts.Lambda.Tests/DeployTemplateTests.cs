using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// docs/deploy/template.yaml: it parses; every Ref, GetAtt, Sub variable, condition and DependsOn resolves; the
/// function's role grants exactly the four DynamoDB actions the store calls, on the table alone; and the pieces docs/behaviour.md#lambda-host
/// and docs/deploy.md rely on are there (TTL on TTL, provided.al2023, the Genesys source prefix, two async retries
/// with an on-failure queue, ReportBatchItemFailures with a redrive queue, an API-key API destination).
/// </summary>
public sealed partial class DeployTemplateTests
{
    private static readonly HashSet<string> PseudoParameters =
    [
        "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId",
        "AWS::StackName", "AWS::URLSuffix",
    ];

    private readonly YamlMappingNode _root = Load();

    private YamlMappingNode Parameters => (YamlMappingNode)_root["Parameters"];

    private YamlMappingNode Resources => (YamlMappingNode)_root["Resources"];

    private YamlMappingNode Conditions => (YamlMappingNode)_root["Conditions"];

    [Fact]
    public void Template_EveryReferenceResolves()
    {
        var parameters = Names(Parameters);
        var resources = Names(Resources);
        var conditions = Names(Conditions);
        var problems = new List<string>();
        var seen = 0;

        void CheckRef(string name, string where)
        {
            seen++;
            if (!parameters.Contains(name) && !resources.Contains(name) && !PseudoParameters.Contains(name))
            {
                problems.Add($"{where}: Ref {name} is no parameter, resource or pseudo parameter");
            }
        }

        void CheckGetAtt(string resource, string where)
        {
            seen++;
            if (!resources.Contains(resource))
            {
                problems.Add($"{where}: GetAtt {resource} is no resource");
            }
        }

        void CheckCondition(string name, string where)
        {
            seen++;
            if (!conditions.Contains(name))
            {
                problems.Add($"{where}: condition {name} is not declared");
            }
        }

        void Walk(YamlNode node, string where)
        {
            var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
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
                    CheckGetAtt(((YamlScalarNode)sequence[0]).Value!, where);
                    return;
                case YamlSequenceNode sequence when tag == "!Sub":
                    CheckSub(((YamlScalarNode)sequence[0]).Value!, Names((YamlMappingNode)sequence[1]), where);
                    Walk(sequence[1], where);
                    return;
                case YamlSequenceNode sequence when tag == "!If":
                    CheckCondition(((YamlScalarNode)sequence[0]).Value!, where);
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
                        var name = ((YamlScalarNode)key).Value!;
                        switch (name)
                        {
                            case "Ref":
                                CheckRef(((YamlScalarNode)value).Value!, where);
                                break;
                            case "Fn::GetAtt":
                                CheckGetAtt(value is YamlSequenceNode list ? ((YamlScalarNode)list[0]).Value! : ((YamlScalarNode)value).Value!.Split('.')[0], where);
                                break;
                            case "Fn::If":
                                CheckCondition(((YamlScalarNode)((YamlSequenceNode)value)[0]).Value!, where);
                                Walk(value, where);
                                break;
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
        Walk(_root["Outputs"], "Outputs");

        Assert.Empty(problems);
        Assert.True(seen > 40, $"only {seen} references found: is the walker reading the template?");
    }

    [Fact]
    public void FunctionRole_GrantsExactlyTheFourDynamoDbActions_OnTheTableAlone()
    {
        var function = ResourceOfType("AWS::Lambda::Function");
        var roleName = GetAttResource(Properties(function)["Role"]);
        var role = (YamlMappingNode)Resources[roleName];
        Assert.False(Properties(role).Children.ContainsKey("ManagedPolicyArns"), "a managed policy would grant more than the statements list");

        var statements = Statements(role).ToList();
        var dynamo = statements.Where(s => Actions(s).Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal))).ToList();
        var actions = dynamo.SelectMany(Actions).OrderBy(a => a, StringComparer.Ordinal).ToList();

        Assert.Equal(["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], actions);
        var table = ResourceNameOfType("AWS::DynamoDB::Table");
        Assert.All(dynamo, s => Assert.Equal(table, GetAttResource(s["Resource"])));
        Assert.All(dynamo, s => Assert.Equal("Allow", ((YamlScalarNode)s["Effect"]).Value));
        Assert.DoesNotContain(statements.SelectMany(Actions), a => a.Contains('*', StringComparison.Ordinal));
        Assert.DoesNotContain(statements, s => s["Resource"] is YamlScalarNode { Tag.IsEmpty: true, Value: "*" });
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
        Assert.Equal("EventDeduplication", Scalar(((YamlMappingNode)Parameters["TableName"])["Default"]));
    }

    [Fact]
    public void Function_IsTheBootstrapOnProvidedAl2023_WithTheDynamoDbStore()
    {
        var function = Properties(ResourceOfType("AWS::Lambda::Function"));
        var variables = (YamlMappingNode)((YamlMappingNode)function["Environment"])["Variables"];

        Assert.Equal("provided.al2023", Scalar(function["Runtime"]));
        Assert.Equal("bootstrap", Scalar(function["Handler"]));
        Assert.Equal("dynamodb", Scalar(variables["Dedup__Store"]));
        Assert.Equal(ResourceNameOfType("AWS::DynamoDB::Table"), RefName(variables["DEDUP_TABLE_NAME"]));
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

        Assert.Contains("ReportBatchItemFailures", ((YamlSequenceNode)mapping["FunctionResponseTypes"]).Select(Scalar));
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

    [Fact]
    public void ApiDestination_PostsToTheHttpHostWithAnApiKeyConnection()
    {
        var destination = Properties(ResourceOfType("AWS::Events::ApiDestination"));
        var connection = Properties((YamlMappingNode)Resources[GetAttResource(destination["ConnectionArn"])]);

        Assert.Equal("POST", Scalar(destination["HttpMethod"]));
        Assert.Equal("HttpHostEventsUrl", RefName(destination["InvocationEndpoint"]));
        Assert.Equal("API_KEY", Scalar(connection["AuthorizationType"]));
        Assert.Equal("x-api-key", Scalar(((YamlMappingNode)((YamlMappingNode)connection["AuthParameters"])["ApiKeyAuthParameters"])["ApiKeyName"]));
    }

    private static YamlMappingNode Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "deploy", "template.yaml");
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static HashSet<string> Names(YamlMappingNode mapping) =>
        [.. mapping.Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value!)];

    private static YamlMappingNode Properties(YamlMappingNode resource) => (YamlMappingNode)resource["Properties"];

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value!;

    private IEnumerable<YamlMappingNode> ResourcesOfType(string type) =>
        Resources.Children.Values.Cast<YamlMappingNode>().Where(r => Scalar(r["Type"]) == type);

    private YamlMappingNode ResourceOfType(string type) => ResourcesOfType(type).Single();

    private string ResourceNameOfType(string type) =>
        Resources.Children.Single(r => Scalar(((YamlMappingNode)r.Value)["Type"]) == type).Key is YamlScalarNode key ? key.Value! : throw new InvalidOperationException();

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
        YamlMappingNode mapping when mapping.Children.ContainsKey("Fn::GetAtt") => mapping["Fn::GetAtt"] is YamlSequenceNode list ? Scalar(list[0]) : Scalar(mapping["Fn::GetAtt"]).Split('.')[0],
        _ => throw new InvalidOperationException($"not a GetAtt: {node}"),
    };

    /// <summary>Every statement of the role's inline policies, both branches of an <c>!If</c> included.</summary>
    private static IEnumerable<YamlMappingNode> Statements(YamlMappingNode role)
    {
        foreach (var policy in ((YamlSequenceNode)Properties(role)["Policies"]).Cast<YamlMappingNode>())
        {
            foreach (var statement in (YamlSequenceNode)((YamlMappingNode)policy["PolicyDocument"])["Statement"])
            {
                if (statement is YamlSequenceNode { Tag.Value: "!If" } branches)
                {
                    foreach (var branch in branches.Skip(1).OfType<YamlMappingNode>())
                    {
                        yield return branch;
                    }
                }
                else
                {
                    yield return (YamlMappingNode)statement;
                }
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
