using System.Buffers.Binary;
using System.Text;

namespace GenesysDedup.Testing.Otlp;

/// <summary>
/// Just enough of the protobuf wire format to read OTLP requests: a field's number and wire type, varints, fixed
/// 64/32-bit values and length-delimited payloads (strings, bytes, nested messages). Unknown fields are skipped.
/// </summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> data)
{
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;
    private int _wireType;

    /// <summary>Moves to the next field; false at the end of the message.</summary>
    public bool TryReadField(out int number)
    {
        if (_position >= _data.Length)
        {
            number = 0;
            return false;
        }

        var tag = ReadVarint();
        number = (int)(tag >> 3);
        _wireType = (int)(tag & 7);
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("varint longer than 10 bytes");
    }

    public ulong ReadFixed64()
    {
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    public double ReadDouble() => BitConverter.UInt64BitsToDouble(ReadFixed64());

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = checked((int)ReadVarint());
        var bytes = _data.Slice(_position, length);
        _position += length;
        return bytes;
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    /// <summary>A trace or span id as lowercase hex (empty when absent).</summary>
    public string ReadHex() => Convert.ToHexStringLower(ReadBytes());

    /// <summary>Skips the current field's value, whatever its wire type.</summary>
    public void Skip()
    {
        switch (_wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                _position += 8;
                break;
            case LengthDelimited:
                ReadBytes();
                break;
            case Fixed32:
                _position += 4;
                break;
            default:
                throw new InvalidDataException($"unsupported wire type {_wireType}");
        }
    }
}
