#!/bin/bash
# capture.sh OUTDIR - capture SCEP test vectors from the REAL clients installed on this machine.
#
# Starts a micromdm `scepserver` (fresh depot, free high port, 127.0.0.1) with the capture proxy
# (capture-proxy.mjs) in front, runs micromdm scepclient, strongSwan `pki --scep` and certmonger's
# scep-submit against the proxy, and writes one directory per vector under OUTDIR:
#   request.der response.der ca.crt.pem ca.key.pem client.key.pem client-signer.crt.pem
#   issued.crt.pem meta.json  (+ a few extra files for some vectors; see test/vectors/README.md)
# Every value in meta.json is read with openssl (cms -print, asn1parse, cms -verify/-decrypt,
# req -verify), never with project code. Each vector's expectations (message type, digest, cipher)
# are checked at the end: the script fails if a client changed behaviour.
#
# Needs (Debian): scep (scepserver/scepclient), strongswan-pki + libstrongswan-extra-plugins,
# certmonger, dbus (dbus-run-session), openssl, curl, jq, node (for capture-proxy.mjs).
# Env: CAPTURE_NETNS=auto|0|1  run everything in a private network namespace (unshare -n) so that
#                               scepserver, which binds all interfaces, is reachable only from here
#                               (auto = when unshare works, i.e. as root; 0 = never; 1 = required)
#      KEEP_WORK=1              keep the scratch directory (raw captures, logs) and print its path
set -euo pipefail

die() { echo "capture: $*" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }

# ---------------------------------------------------------------- isolation
if [ -z "${CAPTURE_IN_NETNS:-}" ] && [ "${CAPTURE_NETNS:-auto}" != 0 ]; then
  if unshare -n true 2>/dev/null && command -v ip >/dev/null; then
    exec unshare -n -- env CAPTURE_IN_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
  fi
  [ "${CAPTURE_NETNS:-auto}" = 1 ] && die "CAPTURE_NETNS=1 but unshare -n does not work here"
fi

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"; out=$(cd "$1" && pwd)
for t in scepserver scepclient pki openssl curl jq node dbus-run-session; do
  command -v "$t" >/dev/null || die "$t not found"
done
SUBMIT=/usr/lib/certmonger/scep-submit; CMSESSION=/usr/lib/certmonger/certmonger-session
[ -x "$SUBMIT" ] && [ -x "$CMSESSION" ] || die "certmonger not installed"
[ -e /usr/lib/ipsec/plugins/libstrongswan-curl.so ] || die "strongSwan curl plugin missing (libstrongswan-extra-plugins)"

CHALLENGE=vectors-secret
ORG=scepgate-vectors
CAPS='AES\nDES3\nGetNextCACert\nPOSTPKIOperation\nRenewal\nSCEPStandard\nSHA-1\nSHA-256\nSHA-384\nSHA-512'
# caps for the scepclient GET vector: scepclient POSTs if POSTPKIOperation *or* SCEPStandard is listed
CAPS_NOPOST='AES,DES3,GetNextCACert,Renewal,SHA-1,SHA-256,SHA-384,SHA-512'

work=$(mktemp -d "${TMPDIR:-/tmp}/scepgate-vectors.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "capture: scratch kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
quiet_pki() { grep -v -e "failed to load" -e "libtss2" -e "could not load" -e "TPM 2.0" || true; }
ver_pkg() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
V_SCEP="micromdm scep $(scepclient -version 2>/dev/null) (Debian scep $(ver_pkg scep))"
V_PKI="strongSwan pki $(pki --help 2>&1 | sed -n 's/^strongSwan \([0-9.]*\) PKI tool.*/\1/p' | head -1) (Debian strongswan-pki $(ver_pkg strongswan-pki))"
V_CM="$(certmonger -v 2>/dev/null | head -1) (Debian certmonger $(ver_pkg certmonger))"
V_SERVER="micromdm scepserver $(scepserver -version 2>/dev/null) (Debian scep $(ver_pkg scep))"
V_OPENSSL=$(openssl version)

# ---------------------------------------------------------------- upstream CA + proxy
echo "capture: work dir $work" >&2
(cd "$work" && scepserver ca -init -depot depot -keySize 2048 -organization "$ORG-ca" -organizational_unit "SCEP CA") >/dev/null
openssl x509 -in "$work/depot/ca.pem" -out "$work/ca.crt.pem"
openssl pkey -in "$work/depot/ca.key" -passin pass: -out "$work/ca.key.pem"   # PKCS#1 3DES "" -> PKCS#8 clear
sport=$(free_port)
scepserver -depot "$work/depot" -port "$sport" -challenge "$CHALLENGE" -allowrenew 0 >"$work/scepserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$sport/scep?operation=GetCACaps" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "http://127.0.0.1:$sport/scep?operation=GetCACaps" || die "scepserver did not start"

mkdir -p "$work/raw"
node "$here/capture-proxy.mjs" --upstream "http://127.0.0.1:$sport/scep" --out "$work/raw" --port 0 \
  --caps "$CAPS" --caps-for "scepclient-get-des-sha1=$CAPS_NOPOST" \
  --pending-label pki-certpoll-aes128-sha256 --ca-cert "$work/ca.crt.pem" --ca-key "$work/ca.key.pem" \
  >"$work/proxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/raw/proxy.port" ] && break; sleep 0.1; done
[ -s "$work/raw/proxy.port" ] || { cat "$work/proxy.log" >&2; die "capture proxy did not start"; }
pport=$(tr -d '\n' <"$work/raw/proxy.port")
url() { echo "http://127.0.0.1:$pport/$1/scep"; }
# the command as run, with the proxy port replaced by PORT (for meta.json / README)
cmdline() { local s; s=$(printf '%q ' "$@"); s=${s% }; echo "${s//127.0.0.1:$pport/127.0.0.1:PORT}"; }

# ---------------------------------------------------------------- meta helpers
META=""
ms() { printf '%s\t%s\n' "$1" "$(jq -cn --arg v "$2" '$v')" >>"$META"; }          # string
mj() { printf '%s\t%s\n' "$1" "$(jq -c . <<<"${2:-null}")" >>"$META"; }              # raw JSON (empty -> null)
mso() { if [ -n "${2:-}" ]; then ms "$1" "$2"; else mj "$1" null; fi; }            # string or null
jarr() { jq -cR . | jq -cs .; }                                                      # lines -> JSON array

# the Nth (1-based) PKIOperation record of a label in the proxy log
record_for() {
  local label=$1 idx=$2 f n=0
  for f in "$work"/raw/[0-9]*.json; do
    if [ "$(jq -r '.label + " " + (.operation // "")' "$f")" = "$label PKIOperation" ]; then
      n=$((n+1)); [ $n -eq "$idx" ] && { echo "${f%.json}"; return 0; }
    fi
  done
  return 1
}
# the GetCACaps answer the client saw last under this label before record seq $2
caps_for() {
  local label=$1 before=$2 f ans=""
  for f in "$work"/raw/[0-9]*.json; do
    [ "$(jq -r .seq "$f")" -lt "$before" ] || continue
    if [ "$(jq -r '.label + " " + (.operation // "") + " " + (.status|tostring)' "$f")" = "$label GetCACaps 200" ]; then
      ans=$(cat "${f%.json}.resp.bin")
    fi
  done
  echo "$ans"
}

# asn1parse helpers. The value line of a single-valued attribute = 2 lines after its OBJECT line.
attr_line() { awk -v o=":$2" '$0 ~ / OBJECT / && $NF == o { getline; getline; print; exit }' "$1"; }
line_type() { sed -E 's/^.*(prim|cons): +//; s/ *:.*$//; s/ +$//' <<<"$1"; }
line_value() { # text after the type's colon; an OCTET STRING hex dump as lowercase hex
  case "$1" in
    *"[HEX DUMP]:"*) printf '%s' "${1#*\[HEX DUMP\]:}" | tr 'A-F' 'a-f';;
    *prim:*:*) sed -E 's/^.*prim: +[A-Z0-9 ]*[A-Z0-9] *://' <<<"$1" | tr -d '\n';;
    *) :;;
  esac
}
attr_value() { line_value "$(attr_line "$1" "$2")"; }
attr_type() { local l; l=$(attr_line "$1" "$2"); [ -n "$l" ] && line_type "$l"; }
octet_hex() { # OCTET STRING attribute as hex even if asn1parse printed it as text
  local l; l=$(attr_line "$1" "$2")
  case "$l" in *"[HEX DUMP]:"*) line_value "$l";; "") :;; *) printf '%s' "$(line_value "$l")" | od -An -tx1 | tr -d ' \n';; esac
}
# "algorithm: sha1 (1.3.14.3.2.26)" + parameter after a header line of `openssl cms -cmsout -print`
cms_alg() { awk -v h="$2" '{ t=$0; sub(/^ +/, "", t); sub(/ +$/, "", t) } t == h { f=1; next } f && t ~ /^algorithm:/ { print t; getline; t=$0; sub(/^ +/, "", t); print t; exit }' "$1"; }
alg_name() { sed -n '1s/^algorithm: \([^ ]*\) .*/\1/p' <<<"$1"; }
alg_oid() { sed -n '1s/^algorithm: .*(\([0-9.]*\))$/\1/p' <<<"$1"; }
alg_param() { local p; p=$(sed -n '2s/^parameter: *//p' <<<"$1"); case "$p" in "<ABSENT>") echo absent;; NULL) echo NULL;; "OCTET STRING:"*) echo "OCTET STRING";; *) echo "$p";; esac; }
signed_attr_oids() { awk '{ t=$0; sub(/^ +/, "", t); sub(/ +$/, "", t) } t == "signedAttrs:" { f=1; next } t ~ /^signatureAlgorithm:/ { f=0 } f && t ~ /^object:/ { sub(/.*\(/, "", t); sub(/\).*/, "", t); print t }' "$1"; }
# names as asn1parse shows them inside a Name -> RFC 2253-ish text (for IssuerAndSubject)
name_at() { # file, start offset of a Name SEQUENCE; prints "CN=..,O=..,C=.." (RFC 2253 order)
  awk -v off="$2" '
    function sn(n) { return n=="commonName"?"CN":n=="organizationName"?"O":n=="organizationalUnitName"?"OU":n=="countryName"?"C":n=="localityName"?"L":n=="stateOrProvinceName"?"ST":n }
    { split($1, a, ":"); o=a[1]+0; split(a[2], d, "="); dep=d[2]+0 }
    !started && o == off { started=1; base=dep; next }
    started { if (dep <= base) exit
              if ($0 ~ / OBJECT /) { k=$0; sub(/^.* OBJECT +:/, "", k); k=sn(k) }
              else if (k != "") { v=$0; sub(/^[^:]*:[^:]*: +[A-Z0-9]+ *:/, "", v); s = k "=" v (s == "" ? "" : "," s); k="" } }
    END { print s }' "$1"
}
name_offsets() { # offsets of the SEQUENCEs at depth $2 (IssuerAndSubject: depth 1)
  awk -v dep="$2" '{ split($1, a, ":") } a[2] == "d=" dep && $0 ~ /cons: +SEQUENCE/ { print a[1]+0 }' "$1"
}
cert_info() { # PEM cert -> JSON object with openssl's view of it
  local c=$1 subj iss ser bits alg exts
  subj=$(openssl x509 -in "$c" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
  iss=$(openssl x509 -in "$c" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
  ser=$(openssl x509 -in "$c" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')
  alg=$(openssl x509 -in "$c" -noout -text | sed -n 's/^ *Public Key Algorithm: //p' | head -1)
  case "$alg" in rsaEncryption) alg=RSA;; id-ecPublicKey) alg=EC;; esac
  bits=$(openssl x509 -in "$c" -noout -text | sed -n 's/^ *Public-Key: (\([0-9]*\) bit)/\1/p' | head -1)
  exts=$(openssl x509 -in "$c" -noout -text | sed -n 's/^ *\(X509v3 [^:]*\|Netscape [^:]*\|[0-9.]*\): *\(critical\)\?$/\1 \2/p' | sed 's/ $//' | grep -v '^X509v3 extensions$' | jarr)
  jq -cn --arg s "$subj" --arg i "$iss" --arg ser "$ser" --arg alg "$alg" --arg bits "$bits" --argjson exts "$exts" \
     --arg nb "$(openssl x509 -in "$c" -noout -startdate | sed 's/^notBefore=//')" \
     --arg na "$(openssl x509 -in "$c" -noout -enddate | sed 's/^notAfter=//')" \
     --arg sig "$(openssl x509 -in "$c" -noout -text | sed -n 's/^ *Signature Algorithm: //p' | head -1)" \
     --arg fp "$(openssl x509 -in "$c" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')" \
     --arg ver "$(openssl x509 -in "$c" -noout -text | sed -n 's/^ *Version: \([0-9]*\) .*/\1/p' | head -1)" \
     '{version:($ver|tonumber), subject:$s, issuer:$i, serialHex:$ser, selfIssued:($s==$i), publicKey:($alg + " " + $bits), signatureAlgorithm:$sig, notBefore:$nb, notAfter:$na, extensions:$exts, sha256:$fp}'
}
same_pub() { [ "$(openssl pkey -in "$1" -pubout 2>/dev/null || openssl x509 -in "$1" -noout -pubkey)" = "$(openssl pkey -in "$2" -pubout)" ]; }
cert_pub_eq_key() { [ "$(openssl x509 -in "$1" -noout -pubkey)" = "$(openssl pkey -in "$2" -pubout)" ]; }
decrypt() { # env.der key cert out -> sets DECRYPT_LEGACY; returns openssl's status
  DECRYPT_LEGACY=false
  local recip=(); [ -n "$3" ] && recip=(-recip "$3")
  if openssl cms -decrypt -binary -inform DER -in "$1" -inkey "$2" "${recip[@]}" -out "$4" 2>/dev/null; then return 0; fi
  DECRYPT_LEGACY=true
  openssl cms -decrypt -provider legacy -provider default -binary -inform DER -in "$1" -inkey "$2" "${recip[@]}" -out "$4"
}
split_certs() { # PEM bundle -> DIR/1.pem DIR/2.pem ...
  rm -rf "$2"; mkdir -p "$2"
  awk -v dir="$2" '/-----BEGIN CERTIFICATE-----/{n++; on=1} on{print > (dir "/" n ".pem")} /-----END CERTIFICATE-----/{on=0; close(dir "/" n ".pem")}' "$1"
}

# ---------------------------------------------------------------- one vector
# build NAME with these set (V_ = per vector):
#   V_LABEL V_INDEX(1) V_CLIENT V_VERSION V_CMD V_CLIENT_KEY [V_SIGNER_KEY] [V_ISSUED]
#   [V_RESPONSE_AS=response.der] [V_RESPONSE_FROM] [V_NOTES] V_EXPECT (jq boolean over meta)
build() {
  local name=$1 v="$out/$1" t="$work/an/$1" rec status ctype rp ra ep ea content csrpub
  rm -rf "$v" "$t"; mkdir -p "$v" "$t"
  META="$t/meta.tsv"; : >"$META"
  rec=$(record_for "$V_LABEL" "${V_INDEX:-1}") || die "$name: no PKIOperation #${V_INDEX:-1} captured for label $V_LABEL"
  cp "$rec.req.bin" "$v/request.der"
  cp "$work/ca.crt.pem" "$v/ca.crt.pem"; cp "$work/ca.key.pem" "$v/ca.key.pem"
  openssl pkey -in "$V_CLIENT_KEY" -out "$v/client.key.pem"
  local signer_key_file=client.key.pem
  if [ -n "${V_SIGNER_KEY:-}" ] && ! same_pub "$V_SIGNER_KEY" "$V_CLIENT_KEY"; then
    openssl pkey -in "$V_SIGNER_KEY" -out "$v/client-signer.key.pem"; signer_key_file=client-signer.key.pem
  fi

  ms vector "$name"; ms client "$V_CLIENT"; ms clientVersion "$V_VERSION"; ms clientCommand "$V_CMD"
  ms upstream "$V_SERVER"; ms capturedWith "$V_OPENSSL; test/vectors/tools/capture.sh"
  ms transport "$(jq -r .method "$rec.json")"
  mj contentType "$(jq -c .contentType "$rec.json")"
  mj getQuery "$(jq -c 'if .method == "GET" then .query else null end' "$rec.json")"
  mj requestHeaders "$(jq -c .requestHeaders "$rec.json")"
  mso capsSeenByClient "$(caps_for "$V_LABEL" "$(jq -r .seq "$rec.json")")"
  ms challengePasswordGiven "${V_CHALLENGE:-$CHALLENGE}"

  # ---- request: outer SignedData
  rp="$t/req.print"; ra="$t/req.asn1"
  openssl cms -cmsout -print -inform DER -in "$v/request.der" >"$rp"
  openssl asn1parse -inform DER -in "$v/request.der" >"$ra"
  local sigok=false
  openssl cms -verify -noverify -binary -inform DER -in "$v/request.der" -out "$t/env.der" \
      -signer "$t/signer.pem" -certsout "$t/certs.pem" 2>"$t/verify.log" && sigok=true
  openssl x509 -in "$t/signer.pem" -out "$v/client-signer.crt.pem"
  local mt; mt=$(attr_value "$ra" 2.16.840.1.113733.1.9.2)
  ms messageType "$mt"
  case "$mt" in 19) ms messageTypeName PKCSReq;; 17) ms messageTypeName RenewalReq;; 20) ms messageTypeName "CertPoll (GetCertInitial)";; *) ms messageTypeName unknown;; esac
  ms transactionID "$(attr_value "$ra" 2.16.840.1.113733.1.9.7)"
  ms transactionIDAsn1Type "$(attr_type "$ra" 2.16.840.1.113733.1.9.7)"
  ms messageTypeAsn1Type "$(attr_type "$ra" 2.16.840.1.113733.1.9.2)"
  ms senderNonceHex "$(octet_hex "$ra" 2.16.840.1.113733.1.9.5)"
  mso signingTime "$(attr_value "$ra" signingTime)"
  ms messageDigestHex "$(octet_hex "$ra" messageDigest)"
  mj signedAttrOids "$(signed_attr_oids "$rp" | jarr)"
  local a; a=$(cms_alg "$rp" "digestAlgorithm:")
  ms digest "$(alg_name "$a")"; ms digestOid "$(alg_oid "$a")"; ms digestParams "$(alg_param "$a")"
  a=$(cms_alg "$rp" "signatureAlgorithm:")
  ms signatureAlgorithm "$(alg_name "$a")"; ms signatureAlgorithmOid "$(alg_oid "$a")"; ms signatureAlgorithmParams "$(alg_param "$a")"
  mj signedDataVersion "$(awk '$0 ~ /d=3/ && / INTEGER /{ sub(/.*:/, ""); print $0+0; exit }' "$ra")"
  mj signerInfoVersion "$(awk '{ t=$0; sub(/^ +/, "", t); sub(/ +$/, "", t) } t == "signerInfos:" { f=1; next } f && t ~ /^version:/ { print $2; exit }' "$rp")"
  ms signerIdentifier "$(grep -q 'd.issuerAndSerialNumber' <(sed -n '/signerInfos:/,$p' "$rp") && echo issuerAndSerialNumber || echo subjectKeyIdentifier)"
  mj requestCertificatesCount "$(grep -c 'BEGIN CERTIFICATE' "$t/certs.pem" || true)"
  mj signerCert "$(cert_info "$v/client-signer.crt.pem")"
  ms eContentForm "$(grep -m1 -E 'd=5 .*OCTET STRING' "$ra" | grep -q 'cons:' && echo constructed || echo primitive)"
  mj berIndefiniteLength "$(grep -q 'l=inf' "$ra" && echo true || echo false)"
  ms signerKeyFile "$signer_key_file"

  # ---- request: inner EnvelopedData
  ep="$t/env.print"; ea="$t/env.asn1"
  openssl cms -cmsout -print -inform DER -in "$t/env.der" >"$ep"
  openssl asn1parse -inform DER -in "$t/env.der" >"$ea"
  mj envelopedDataVersion "$(awk '{ t=$0; sub(/^ +/, "", t); sub(/ +$/, "", t) } t == "d.envelopedData:" { f=1; next } f && t ~ /^version:/ { print $2; exit }' "$ep")"
  mj recipientCount "$(grep -c 'd.ktri:' "$ep" || true)"
  ms recipientIdentifier "$(grep -q 'd.ktri:' "$ep" && sed -n '/d.ktri:/{n;n;p;q}' "$ep" | grep -q issuerAndSerialNumber && echo issuerAndSerialNumber || echo other)"
  a=$(cms_alg "$ep" "keyEncryptionAlgorithm:")
  ms keyEncryptionAlgorithm "$(alg_name "$a")"; ms keyEncryptionOid "$(alg_oid "$a")"; ms keyEncryptionParams "$(alg_param "$a")"
  a=$(cms_alg "$ep" "contentEncryptionAlgorithm:")
  ms contentEncryption "$(alg_name "$a")"; ms contentEncryptionOid "$(alg_oid "$a")"
  ms contentEncryptionIvHex "$(line_value "$(awk -v o=":$(alg_name "$a")" '/ OBJECT / && $NF == o { getline; print; exit }' "$ea")")"
  ms encryptedContentForm "$(grep -E 'd=4 .*cont \[ 0 \]' "$ea" | tail -1 | grep -q 'cons:' && echo constructed || echo primitive)"
  local decok=false
  decrypt "$t/env.der" "$v/ca.key.pem" "$v/ca.crt.pem" "$t/content.der" 2>"$t/decrypt.log" && decok=true
  mj requestDecryptNeedsLegacyProvider "$DECRYPT_LEGACY"
  $decok || { cat "$t/decrypt.log" >&2; die "$name: request does not decrypt with the CA key"; }

  # ---- request: decrypted content
  local csrok=null pubok=null
  if [ "$mt" = 19 ] || [ "$mt" = 17 ]; then
    cp "$t/content.der" "$v/csr.der"
    openssl asn1parse -inform DER -in "$t/content.der" >"$t/csr.asn1"
    openssl req -inform DER -in "$t/content.der" -noout -verify 2>/dev/null && csrok=true || csrok=false
    ms csrSubject "$(openssl req -inform DER -in "$t/content.der" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
    ms challengePassword "$(attr_value "$t/csr.asn1" challengePassword)"
    mso challengePasswordAsn1Type "$(attr_type "$t/csr.asn1" challengePassword)"
    ms csrSignatureAlgorithm "$(openssl req -inform DER -in "$t/content.der" -noout -text | sed -n 's/^ *Signature Algorithm: //p' | head -1)"
    mj csrAttributes "$(awk '{ split($1, a, ":") } $0 ~ /d=2 .*cont \[ 0 \]/ { f=1; next } f && a[2] == "d=1" { exit } f && a[2] == "d=4" && / OBJECT / { v=$0; sub(/^.* OBJECT +:/, "", v); print v }' "$t/csr.asn1" | jarr)"
    mj csrExtensions "$(awk '{ split($1, a, ":") } $0 ~ /d=2 .*cont \[ 0 \]/ { f=1; next } f && a[2] == "d=1" { exit } f && a[2] == "d=7" && / OBJECT / { v=$0; sub(/^.* OBJECT +:/, "", v); print v }' "$t/csr.asn1" | jarr)"
    openssl req -inform DER -in "$t/content.der" -noout -pubkey >"$t/csr.pub"
    [ "$(cat "$t/csr.pub")" = "$(openssl pkey -in "$v/client.key.pem" -pubout)" ] && pubok=true || pubok=false
    csrpub="$t/csr.pub"
  elif [ "$mt" = 20 ]; then
    cp "$t/content.der" "$v/issuer-and-subject.der"
    openssl asn1parse -inform DER -in "$t/content.der" >"$t/ias.asn1"
    local offs; offs=($(name_offsets "$t/ias.asn1" 1))
    ms issuerAndSubjectIssuer "$(name_at "$t/ias.asn1" "${offs[0]}")"
    ms issuerAndSubjectSubject "$(name_at "$t/ias.asn1" "${offs[1]}")"
    openssl pkey -in "$v/client.key.pem" -pubout >"$t/csr.pub"; csrpub="$t/csr.pub"
  fi

  # ---- response
  local rname=${V_RESPONSE_AS:-response.der} rstat rct respok=null rdecok=null issuedok=null
  rstat=$(jq -r .status "$rec.json"); rct=$(jq -r '.responseHeaders["content-type"] // ""' "$rec.json")
  mj responseHttpStatus "$rstat"; mso responseContentType "$rct"
  if [ "$rstat" = 200 ] && [ "$rct" = application/x-pki-message ]; then
    cp "$rec.resp.bin" "$v/$rname"
    ms responseFile "$rname"; ms responseFrom "${V_RESPONSE_FROM:-$V_SERVER}"
    local xp="$t/resp.print" xa="$t/resp.asn1" st
    openssl cms -cmsout -print -inform DER -in "$v/$rname" >"$xp"
    openssl asn1parse -inform DER -in "$v/$rname" >"$xa"
    openssl cms -verify -inform DER -in "$v/$rname" -CAfile "$v/ca.crt.pem" -purpose any -binary \
        -out "$t/renv.der" -certsout "$t/rcerts.pem" 2>/dev/null && respok=true || respok=false
    st=$(attr_value "$xa" 2.16.840.1.113733.1.9.3)
    ms responseMessageType "$(attr_value "$xa" 2.16.840.1.113733.1.9.2)"
    ms responsePkiStatus "$st"
    mso responseFailInfo "$(attr_value "$xa" 2.16.840.1.113733.1.9.4)"
    ms responseTransactionID "$(attr_value "$xa" 2.16.840.1.113733.1.9.7)"
    ms responseSenderNonceHex "$(octet_hex "$xa" 2.16.840.1.113733.1.9.5)"
    ms responseRecipientNonceHex "$(octet_hex "$xa" 2.16.840.1.113733.1.9.6)"
    mj responseSignedAttrOids "$(signed_attr_oids "$xp" | jarr)"
    a=$(cms_alg "$xp" "digestAlgorithm:")
    ms responseDigest "$(alg_name "$a")"; ms responseDigestOid "$(alg_oid "$a")"
    a=$(cms_alg "$xp" "signatureAlgorithm:")
    ms responseSignatureAlgorithm "$(alg_name "$a")"; ms responseSignatureAlgorithmOid "$(alg_oid "$a")"; ms responseSignatureAlgorithmParams "$(alg_param "$a")"
    mj responseCertificatesCount "$(grep -c 'BEGIN CERTIFICATE' "$t/rcerts.pem" 2>/dev/null || true)"
    mj responseEContentLength "$(grep -m1 -E 'd=5 .*OCTET STRING' "$xa" | sed -E 's/.* l= *([0-9]+) .*/\1/')"
    if [ "$st" = 0 ]; then
      local rep="$t/renv.print"
      openssl cms -cmsout -print -inform DER -in "$t/renv.der" >"$rep"
      a=$(cms_alg "$rep" "keyEncryptionAlgorithm:")
      ms responseKeyEncryptionOid "$(alg_oid "$a")"; ms responseKeyEncryptionParams "$(alg_param "$a")"
      a=$(cms_alg "$rep" "contentEncryptionAlgorithm:")
      ms responseContentEncryption "$(alg_name "$a")"; ms responseContentEncryptionOid "$(alg_oid "$a")"
      mj responseRecipientCount "$(grep -c 'd.ktri:' "$rep" || true)"
      mj responseRecipients "$(awk '{ t=$0; sub(/^ +/, "", t); sub(/ +$/, "", t) } t == "d.issuerAndSerialNumber:" { getline; i=$0; sub(/^ *issuer: /, "", i); getline; s=$0; sub(/^ *serialNumber: /, "", s); print i "\t" s }' "$rep" |
        while IFS=$'\t' read -r i s; do case "$s" in 0x*) s=${s#0x};; *) s=$(node -e 'console.log(BigInt(process.argv[1]).toString(16))' "$s");; esac  # openssl prints up to 128-bit serials in decimal
          [ $(( ${#s} % 2 )) -eq 1 ] && s="0$s"
          jq -cn --arg i "$i" --arg s "$(tr 'A-F' 'a-f' <<<"$s")" '{issuer:$i, serialHex:$s}'; done | jq -cs .)"
      rdecok=false
      decrypt "$t/renv.der" "$v/$signer_key_file" "" "$t/degenerate.der" 2>"$t/rdecrypt.log" && rdecok=true
      mj responseDecryptNeedsLegacyProvider "$DECRYPT_LEGACY"
      $rdecok || { cat "$t/rdecrypt.log" >&2; die "$name: response does not decrypt with $signer_key_file"; }
      cp "$t/degenerate.der" "$v/response-certs.p7b.der"
      openssl pkcs7 -inform DER -in "$t/degenerate.der" -print_certs >"$t/issued-all.pem"
      mj responseDegenerateCertsCount "$(grep -c 'BEGIN CERTIFICATE' "$t/issued-all.pem")"
      split_certs "$t/issued-all.pem" "$t/iss"
      local c; for c in "$t"/iss/*.pem; do
        [ "$(openssl x509 -in "$c" -noout -pubkey)" = "$(cat "$csrpub")" ] && openssl x509 -in "$c" -out "$v/issued.crt.pem"
      done
    fi
  else
    mj responseFile null
    mso responseBodyText "$(head -c 200 "$rec.resp.bin" | tr -d '\r')"
  fi
  if [ ! -s "$v/issued.crt.pem" ] && [ -n "${V_ISSUED:-}" ]; then openssl x509 -in "$V_ISSUED" -out "$v/issued.crt.pem"; fi
  if [ -s "$v/issued.crt.pem" ]; then
    mj issuedCert "$(cert_info "$v/issued.crt.pem")"
    openssl verify -CAfile "$v/ca.crt.pem" "$v/issued.crt.pem" >/dev/null 2>&1 && issuedok=true || issuedok=false
    [ -n "${csrpub:-}" ] && { [ "$(openssl x509 -in "$v/issued.crt.pem" -noout -pubkey)" = "$(cat "$csrpub")" ] || issuedok=false; }
  else
    mj issuedCert null
  fi
  mj checks "$(jq -cn --argjson a "$sigok" --argjson b "$decok" --argjson c "$csrok" --argjson d "$pubok" \
      --argjson e "$respok" --argjson f "$rdecok" --argjson g "$issuedok" \
      '{requestSignatureVerifies:$a, requestDecryptsWithCaKey:$b, csrSelfSignatureVerifies:$c, csrKeyIsClientKey:$d, responseSignatureVerifiesWithCaCert:$e, responseDecryptsWithSignerKey:$f, issuedCertVerifiesAndCarriesClientKey:$g}')"
  mso notes "${V_NOTES:-}"

  jq -R 'index("\t") as $i | {(.[:$i]): (.[$i+1:] | fromjson)}' "$META" | jq -s add >"$v/meta.json"
  if ! jq -e "${V_EXPECT:-true}" "$v/meta.json" >/dev/null; then
    jq . "$v/meta.json" >&2; die "$name: expectation failed: $V_EXPECT"
  fi
  echo "capture: $name: $(jq -r '"\(.transport) type \(.messageType) \(.digest)/\(.contentEncryption) -> " + (.responsePkiStatus // "no CertRep" | tostring)' "$v/meta.json")" >&2
  unset V_LABEL V_INDEX V_CLIENT V_VERSION V_CMD V_CLIENT_KEY V_SIGNER_KEY V_ISSUED V_RESPONSE_AS V_RESPONSE_FROM V_NOTES V_EXPECT V_CHALLENGE
}

# ================================================================ clients
mkdir -p "$work/c"
# ---- (a) micromdm scepclient: PKCSReq, then RenewalReq from the same directory
run_scepclient() { # label dir challenge cn
  local cmd=(scepclient -server-url "$(url "$1")" -private-key key.pem -certificate cert.pem
             -cn "$4" -organization "$ORG" -challenge "$3")
  SC_CMD=$(cmdline "${cmd[@]}")
  (cd "$2" && timeout 60 "${cmd[@]}") >>"$2/scepclient.log" 2>&1 || echo "capture: note: scepclient ($1) exited $?" >&2
}
d="$work/c/scepclient"; mkdir -p "$d"
run_scepclient scepclient-des-sha1 "$d" "$CHALLENGE" vec-scepclient
[ -s "$d/cert.pem" ] || die "scepclient got no certificate"
cp "$d/cert.pem" "$d/first-cert.pem"
V_LABEL=scepclient-des-sha1 V_CLIENT="micromdm scepclient" V_VERSION=$V_SCEP V_CMD=$SC_CMD V_CLIENT_KEY="$d/key.pem" \
V_EXPECT='.transport=="POST" and .messageType=="19" and .digest=="sha1" and .contentEncryption=="des-cbc" and .responsePkiStatus=="0" and .checks.issuedCertVerifiesAndCarriesClientKey' \
V_NOTES="First enrollment; the signer is scepclient's throw-away self-signed certificate (scepclient 2.1.0 keeps it in memory, no self.pem is written)." \
build scepclient-des-sha1

run_scepclient scepclient-renewal-des-sha1 "$d" "$CHALLENGE" vec-scepclient
V_LABEL=scepclient-renewal-des-sha1 V_CLIENT="micromdm scepclient" V_VERSION=$V_SCEP V_CMD=$SC_CMD V_CLIENT_KEY="$d/key.pem" \
V_EXPECT='.messageType=="17" and .signerCert.selfIssued==false and .responsePkiStatus=="0" and .checks.issuedCertVerifiesAndCarriesClientKey' \
V_NOTES="Second run of the same scepclient command in the same directory (key.pem, cert.pem and csr.pem present): scepclient sends RenewalReq (17) signed by the certificate issued by scepclient-des-sha1 (same key, same reused CSR, same transactionID). scepserver revokes the old serial in its depot when it issues the renewal." \
build scepclient-renewal-des-sha1

d="$work/c/scepclient-get"; mkdir -p "$d"
run_scepclient scepclient-get-des-sha1 "$d" "$CHALLENGE" vec-scepclient-get
V_LABEL=scepclient-get-des-sha1 V_CLIENT="micromdm scepclient" V_VERSION=$V_SCEP V_CMD=$SC_CMD V_CLIENT_KEY="$d/key.pem" \
V_EXPECT='.transport=="GET" and .messageType=="19" and .responseFile==null' \
V_NOTES="GetCACaps answered without POSTPKIOperation and without SCEPStandard, so scepclient uses GET: query 'message=<base64 in the URL-safe alphabet (- and _), '=' padding kept and escaped as %3D>&operation=PKIOperation' (message first). micromdm scepserver 2.1.0 itself rejects it: HTTP 500 'illegal base64 data at input byte N', so there is no CertRep and no issued certificate." \
build scepclient-get-des-sha1

d="$work/c/scepclient-bad"; mkdir -p "$d"
run_scepclient scepclient-failure-badchallenge "$d" wrong-secret vec-scepclient-badchallenge
V_LABEL=scepclient-failure-badchallenge V_CLIENT="micromdm scepclient" V_VERSION=$V_SCEP V_CMD=$SC_CMD V_CLIENT_KEY="$d/key.pem" V_CHALLENGE=wrong-secret \
V_EXPECT='.messageType=="19" and .responsePkiStatus=="2" and .responseFailInfo=="2" and .responseEContentLength==0' \
V_NOTES="Wrong challenge password on purpose: scepserver answers a FAILURE CertRep (pkiStatus 2, failInfo 2 = badRequest) with an empty eContent and no envelope." \
build scepclient-failure-badchallenge

# ---- (b)(c) strongSwan pki --scep
run_pki() { # label dir cn extra-args...
  local label=$1 dir=$2 cn=$3; shift 3
  [ -s "$dir/key.pem" ] || pki --gen --type rsa --size 2048 --outform pem >"$dir/key.pem" 2>/dev/null
  local cmd=(pki --scep --url "$(url "$label")" --in key.pem --dn "O=$ORG, CN=$cn" --password "$CHALLENGE"
             --cacert-enc ca.crt.pem --cacert-sig ca.crt.pem --cacert ca.crt.pem "$@" --outform pem)
  cp "$work/ca.crt.pem" "$dir/ca.crt.pem"
  PKI_CMD=$(cmdline "${cmd[@]}")
  (cd "$dir" && timeout 60 "${cmd[@]}" >cert.pem 2>pki.log.raw) || echo "capture: note: pki ($label) exited $?" >&2
  quiet_pki <"$dir/pki.log.raw" >"$dir/pki.log"
}
PKI_NOTE="pki rejects micromdm's CertRep ('only RSA digest encryption supported': the signerInfo algorithm is sha1WithRSAEncryption, not rsaEncryption) and exits 1, but the CA did issue: issued.crt.pem comes from decrypting response.der with the client key."
d="$work/c/pki-aes"; mkdir -p "$d"
run_pki pki-aes128-sha256 "$d" vec-pki-aes128 --cipher aes --digest sha256 --interval 1 --maxpolltime 1
V_LABEL=pki-aes128-sha256 V_CLIENT="strongSwan pki --scep" V_VERSION=$V_PKI V_CMD=$PKI_CMD V_CLIENT_KEY="$d/key.pem" \
V_EXPECT='.transport=="POST" and .contentType==null and .messageType=="19" and .digest=="sha256" and .contentEncryption=="aes-128-cbc" and .responsePkiStatus=="0" and .checks.issuedCertVerifiesAndCarriesClientKey' \
V_NOTES="$PKI_NOTE" build pki-aes128-sha256
PKI_AES_DIR=$d; openssl x509 -in "$out/pki-aes128-sha256/issued.crt.pem" -out "$d/issued.pem"

d="$work/c/pki-des3"; mkdir -p "$d"
run_pki pki-des3-sha1 "$d" vec-pki-des3 --cipher des3 --digest sha1 --interval 1 --maxpolltime 1
V_LABEL=pki-des3-sha1 V_CLIENT="strongSwan pki --scep" V_VERSION=$V_PKI V_CMD=$PKI_CMD V_CLIENT_KEY="$d/key.pem" \
V_EXPECT='.transport=="POST" and .messageType=="19" and .digest=="sha1" and .contentEncryption=="des-ede3-cbc" and .responsePkiStatus=="0" and .checks.issuedCertVerifiesAndCarriesClientKey' \
V_NOTES="$PKI_NOTE" build pki-des3-sha1

# renewal: new key, signed with the certificate + key of pki-aes128-sha256
d="$work/c/pki-renewal"; mkdir -p "$d"
cp "$PKI_AES_DIR/issued.pem" "$d/old-cert.pem"; cp "$PKI_AES_DIR/key.pem" "$d/old-key.pem"
run_pki pki-renewal-aes128-sha256 "$d" vec-pki-aes128 --cert old-cert.pem --key old-key.pem --cipher aes --digest sha256 --interval 1 --maxpolltime 1
V_LABEL=pki-renewal-aes128-sha256 V_CLIENT="strongSwan pki --scep" V_VERSION=$V_PKI V_CMD=$PKI_CMD V_CLIENT_KEY="$d/key.pem" V_SIGNER_KEY="$d/old-key.pem" \
V_EXPECT='.messageType=="17" and .signerKeyFile=="client-signer.key.pem" and .signerCert.selfIssued==false and .responsePkiStatus=="0" and .checks.issuedCertVerifiesAndCarriesClientKey' \
V_NOTES="Renewal with a new key: RenewalReq (17) signed by the certificate issued in pki-aes128-sha256 (client-signer.crt.pem, key client-signer.key.pem); the CSR carries the new key (client.key.pem). scepserver encrypts the CertRep to the signer certificate, so response.der decrypts with client-signer.key.pem. Without --password scepserver answers FAILURE badRequest ('invalid challenge'): it checks the challenge on renewals too. $PKI_NOTE" \
build pki-renewal-aes128-sha256

# CertPoll: the proxy answers PENDING itself for this label, so pki polls
d="$work/c/pki-poll"; mkdir -p "$d"
run_pki pki-certpoll-aes128-sha256 "$d" vec-pki-certpoll --cipher aes --digest sha256 --interval 1 --maxpolltime 1
grep -q "SCEP request pending" "$d/pki.log" || die "pki did not accept the proxy's PENDING CertRep"
V_LABEL=pki-certpoll-aes128-sha256 V_INDEX=2 V_CLIENT="strongSwan pki --scep" V_VERSION=$V_PKI V_CMD=$PKI_CMD V_CLIENT_KEY="$d/key.pem" \
V_RESPONSE_AS=proxy-pending-response.der V_RESPONSE_FROM="capture-proxy.mjs synthetic PENDING (not micromdm; built with node:crypto, accepted by pki 5.9.8)" \
V_EXPECT='.messageType=="20" and .digest=="sha256" and .contentEncryption=="aes-128-cbc" and .responsePkiStatus=="3"' \
V_NOTES="request.der is the first CertPoll (messageType 20, content IssuerAndSubject) that pki sent after the capture proxy answered its PKCSReq (pkcsreq.der, same transactionID) with PENDING. Nothing was forwarded to scepserver for this label, so there is no issued certificate. proxy-pending-response.der is the proxy's answer to this CertPoll (also PENDING)." \
build pki-certpoll-aes128-sha256
rec=$(record_for pki-certpoll-aes128-sha256 1); cp "$rec.req.bin" "$out/pki-certpoll-aes128-sha256/pkcsreq.der"

# ---- (d) certmonger: a private throw-away daemon builds the PKCSReq and the GetCertInitial
cmd="$work/c/certmonger"
cm_daemon() {
  rm -rf "$cmd"; mkdir -p "$cmd"/{home,cfg,req,cas,local,tmp,cap}
  local cap="$cmd/cap"
  cat >"$cmd/helper.sh" <<EOF
#!/bin/sh
# CA helper for the private daemon: GetCACaps/GetCACert go through scep-submit (and the proxy);
# on SUBMIT/POLL save the SCEP messages the daemon generated and answer "wait" (exit 1).
case "\$CERTMONGER_OPERATION" in
SUBMIT|POLL)
  [ -n "\$CERTMONGER_PKCSREQ\$CERTMONGER_PKCSREQ_REKEY" ] || exit 16   # 16: please generate SCEP data
  for v in PKCSREQ PKCSREQ_REKEY GETCERTINITIAL GETCERTINITIAL_REKEY; do
    eval "val=\\\$CERTMONGER_\$v"
    [ -n "\$val" ] && printf '%s\n' "\$val" > "$cap/\$v.pem"
  done
  touch "$cap/done"; echo captured; exit 1 ;;
*) exec $SUBMIT "\$@" ;;
esac
EOF
  chmod +x "$cmd/helper.sh"
  cat >"$cmd/inner.sh" <<EOF
getcert add-ca -s -c vectors -e "$cmd/helper.sh -u $(url certmonger-daemon)" >/dev/null
getcert request -s -c vectors -k "$cmd/key.pem" -f "$cmd/cert.pem" -N "CN=vec-certmonger,O=$ORG" -L "$CHALLENGE" -I vecreq >/dev/null
for i in \$(seq 1 240); do [ -e "$cap/done" ] && break; sleep 0.25; done
getcert list -s > "$cmd/getcert-list.txt"
EOF
  ( export HOME="$cmd/home" CERTMONGER_CONFIG_DIR="$cmd/cfg" CERTMONGER_REQUESTS_DIR="$cmd/req" \
           CERTMONGER_CAS_DIR="$cmd/cas" CERTMONGER_LOCAL_CA_DIR="$cmd/local" CERTMONGER_TMPDIR="$cmd/tmp"
    exec timeout 120 dbus-run-session -- "$CMSESSION" -s -n -c "sh $cmd/inner.sh" ) >"$cmd/daemon.log" 2>&1 || true
  [ -e "$cap/done" ]
}
cm_daemon || cm_daemon || die "the certmonger daemon produced no SCEP messages (see $cmd)"
cap="$cmd/cap"
if [ -s "$cap/PKCSREQ.pem" ]; then CM_VAR=PKCSREQ; CM_GVAR=GETCERTINITIAL; else CM_VAR=PKCSREQ_REKEY; CM_GVAR=GETCERTINITIAL_REKEY; fi
# the key that signed the messages: key.pem, or the "next" key if the daemon chose to re-key
openssl pkcs7 -in "$cap/$CM_VAR.pem" -print_certs 2>/dev/null | sed -n '/BEGIN/,/END/p' >"$cmd/minicert.pem"
CM_KEY=""; for k in "$cmd"/key.pem*; do
  cert_pub_eq_key "$cmd/minicert.pem" "$k" && CM_KEY=$k
done
[ -n "$CM_KEY" ] || die "certmonger: no key file matches the message signer"
cm_submit() { # operation label message-file
  local c=(env CERTMONGER_OPERATION="$1" CERTMONGER_PKCSREQ="$(cat "$3")"
           CERTMONGER_SCEP_RA_CERTIFICATE="$(cat "$work/ca.crt.pem")" CERTMONGER_SCEP_CA_CERTIFICATE="$(cat "$work/ca.crt.pem")"
           "$SUBMIT" -u "$(url "$2")")
  CM_CMD="CERTMONGER_OPERATION=$1 CERTMONGER_PKCSREQ=\"\$(cat <daemon's CERTMONGER_$( [ "$1" = SUBMIT ] && echo "$CM_VAR" || echo "$CM_GVAR")>)\" CERTMONGER_SCEP_RA_CERTIFICATE=\"\$(cat ca.crt.pem)\" CERTMONGER_SCEP_CA_CERTIFICATE=\"\$(cat ca.crt.pem)\" $SUBMIT -u http://127.0.0.1:PORT/$2/scep"
  "${c[@]}" >"$cmd/$2.out" 2>"$cmd/$2.err" && CM_RC=0 || CM_RC=$?
}
CM_PRE="The daemon (certmonger-session, private D-Bus session, getcert request -N 'CN=vec-certmonger,O=$ORG' -L $CHALLENGE) generated the message and handed it to its CA helper in CERTMONGER_$CM_VAR; the capture then ran scep-submit with it (GET only, standard base64 percent-encoded)."
cm_submit SUBMIT certmonger-aes256-sha256 "$cap/$CM_VAR.pem"
[ "$CM_RC" = 0 ] || echo "capture: note: scep-submit SUBMIT exited $CM_RC" >&2
V_LABEL=certmonger-aes256-sha256 V_CLIENT="certmonger scep-submit" V_VERSION=$V_CM V_CMD=$CM_CMD V_CLIENT_KEY="$CM_KEY" \
V_EXPECT='.transport=="GET" and .messageType=="19" and .digest=="sha256" and .contentEncryption=="aes-256-cbc" and .responsePkiStatus=="0" and .checks.issuedCertVerifiesAndCarriesClientKey' \
V_NOTES="$CM_PRE scep-submit exited $CM_RC (0 = it printed the pkcsPKIEnvelope)." \
build certmonger-aes256-sha256
CM_ISSUED="$cmd/issued.pem"; openssl x509 -in "$out/certmonger-aes256-sha256/issued.crt.pem" -out "$CM_ISSUED"

cm_submit POLL certmonger-getcertinitial "$cap/$CM_GVAR.pem"
V_LABEL=certmonger-getcertinitial V_CLIENT="certmonger scep-submit" V_VERSION=$V_CM V_CMD=$CM_CMD V_CLIENT_KEY="$CM_KEY" V_ISSUED="$CM_ISSUED" \
V_EXPECT='.transport=="GET" and .messageType=="20" and .transactionID != "" and .responseFile==null' \
V_NOTES="$CM_PRE (CERTMONGER_OPERATION=POLL, message CERTMONGER_$CM_GVAR.) Same transactionID and signer as certmonger-aes256-sha256. micromdm scepserver does not implement GetCertInitial: HTTP 500 'not implemented', so there is no CertRep; issued.crt.pem is the certificate issued to certmonger-aes256-sha256 (what a CA would return for this poll). scep-submit exited $CM_RC." \
build certmonger-getcertinitial

# ---------------------------------------------------------------- index
jq -s 'map({vector, client, transport, messageType, digest, contentEncryption, keyEncryption: .keyEncryptionAlgorithm,
            signer: (.signerCert.publicKey + (if .signerCert.selfIssued then " self-signed" else " CA-issued" end)),
            response: (if .responseFile == null then null else {file: .responseFile, pkiStatus: .responsePkiStatus, contentEncryption: .responseContentEncryption} end)})' \
  "$out"/*/meta.json >"$out/index.json"
echo "capture: wrote $(ls "$out"/*/meta.json | wc -l) vectors to $out ($(du -sh "$out" | cut -f1))" >&2
