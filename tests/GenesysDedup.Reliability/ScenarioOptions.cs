using System.Globalization;

namespace GenesysDedup.Reliability;

/// <summary>The command line of one scenario run; every default is the size.</summary>
internal sealed class ScenarioOptions
{
    public required string Scenario { get; init; }

    public string Store { get; set; } = "redis";

    public int Events { get; set; } = 2_000;

    public double DuplicateFraction { get; set; } = 0.2;

    public int Seed { get; set; } = Random.Shared.Next();

    public int Kills { get; set; } = 4;

    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(3);

    public int Concurrency { get; set; } = 16;

    /// <summary>Pace of the crash and outage streams (two-hosts sends as fast as the concurrency allows).</summary>
    public double EventsPerSecond { get; set; } = 100;

    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long before a kill a first delivery may have arrived and still count as interrupted by it.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The downstream's processing time per delivery: handlers are in flight when a fault lands.</summary>
    public TimeSpan DownstreamDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan OutageLength { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary><c>Dedup:InProgressWait</c> of the hosts; null leaves the host's default.</summary>
    public TimeSpan? InProgressWait { get; set; }

    /// <summary><c>Dedup:ClockSkew</c> of the hosts; null leaves the host's default.</summary>
    public TimeSpan? ClockSkew { get; set; }

    /// <summary>skewed-hosts: how far ahead the second host's clock runs (libfaketime).</summary>
    public TimeSpan ClockAhead { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How the sqlite outage makes the file unwritable: <c>lock</c> (another connection holds it past the busy
    /// timeout) or <c>full-disk</c> (the file on a small tmpfs, filled by a ballast file). Redis and DynamoDB: a stop.
    /// </summary>
    public string Fault { get; set; } = "lock";

    /// <summary><c>Dedup:Redis:WaitReplicas</c> of the hosts (redis-cluster and redis-sentinel only).</summary>
    public int WaitReplicas { get; set; }

    /// <summary>How long the failover's replica is cut off before its primary is killed: the writes it misses.</summary>
    public TimeSpan ReplicaLag { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>Dedup:Sqlite:Synchronous</c> of the hosts (sqlite only).</summary>
    public string Synchronous { get; set; } = "normal";

    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(5);

    public string Configuration { get; set; } =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public string? SummaryPath { get; set; }

    public static ScenarioOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            throw new ArgumentException("no scenario given");
        }

        var options = new ScenarioOptions { Scenario = args[0] };
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--store": options.Store = value; break;
                case "--events": options.Events = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--duplicates": options.DuplicateFraction = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seed": options.Seed = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--kills": options.Kills = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--lease": options.Lease = TimeSpan.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrency": options.Concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rate": options.EventsPerSecond = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--give-up-after": options.GiveUpAfter = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--window": options.Window = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--downstream-delay-ms": options.DownstreamDelay = TimeSpan.FromMilliseconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--outage-seconds": options.OutageLength = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--in-progress-wait": options.InProgressWait = TimeSpan.Parse(value, CultureInfo.InvariantCulture); break;
                case "--clock-skew": options.ClockSkew = TimeSpan.Parse(value, CultureInfo.InvariantCulture); break;
                case "--clock-ahead": options.ClockAhead = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--deadline": options.Deadline = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--fault": options.Fault = value; break;
                case "--synchronous": options.Synchronous = value; break;
                case "--wait-replicas": options.WaitReplicas = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--replica-lag-ms": options.ReplicaLag = TimeSpan.FromMilliseconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--configuration": options.Configuration = value; break;
                case "--summary": options.SummaryPath = value; break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }

        if (options.Store is not ("redis" or "dynamodb" or "sqlite" or "redis-cluster" or "redis-sentinel"))
        {
            throw new ArgumentException($"--store must be redis, dynamodb, sqlite, redis-cluster or redis-sentinel, not '{options.Store}'");
        }

        if ((options.Scenario == "failover") != (options.Store is "redis-cluster" or "redis-sentinel"))
        {
            throw new ArgumentException("the failover scenario runs on --store redis-cluster or redis-sentinel, and only it does");
        }

        if (options.Fault is not ("lock" or "full-disk") || (options.Fault == "full-disk" && options.Store != "sqlite"))
        {
            throw new ArgumentException($"--fault must be lock or full-disk (sqlite only), not '{options.Fault}'");
        }

        if (options.Synchronous is not ("normal" or "full"))
        {
            throw new ArgumentException($"--synchronous must be normal or full, not '{options.Synchronous}'");
        }

        if (options.DuplicateFraction is < 0 or >= 1 || options.Events < 1)
        {
            throw new ArgumentException("--events must be positive and --duplicates in [0, 1)");
        }

        return options;
    }

    public string CommandLine()
    {
        var storeOptions = Store switch
        {
            "sqlite" => $" --synchronous {Synchronous}" + (Scenario == "outage" ? $" --fault {Fault}" : ""),
            "redis-cluster" or "redis-sentinel" => $" --wait-replicas {WaitReplicas} --replica-lag-ms {ReplicaLag.TotalMilliseconds}",
            _ => "",
        };
        var wait = InProgressWait is { } w ? $" --in-progress-wait {w:c}" : "";
        var skew = (ClockSkew is { } s ? $" --clock-skew {s:c}" : "") + (Scenario == "skewed-hosts" ? $" --clock-ahead {ClockAhead.TotalSeconds}" : "");
        return string.Create(CultureInfo.InvariantCulture,
            $"{Scenario} --store {Store}{storeOptions} --events {Events} --duplicates {DuplicateFraction} --seed {Seed} --concurrency {Concurrency} --downstream-delay-ms {DownstreamDelay.TotalMilliseconds}{wait}{skew}");
    }
}
