"""Independent X.509 path verification with pyca/cryptography's verifier (RFC 5280 / Web PKI
profile): pyca_verify.py ROOTS.pem INTERMEDIATES.pem|- LEAF.pem client|any
Prints OK and exits 0 when a chain is built; prints the verifier's error and exits 1."""
import datetime
import sys

from cryptography import x509
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store


def load(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificates(f.read())


def main():
    roots_path, intermediates_path, leaf_path, usage = sys.argv[1:5]
    roots = load(roots_path)
    intermediates = [] if intermediates_path == "-" else load(intermediates_path)
    leaf = load(leaf_path)[0]
    builder = PolicyBuilder().store(Store(roots)).time(datetime.datetime.now(datetime.timezone.utc))
    if usage == "client":
        # A device identity: the Web PKI client profile (clientAuth EKU, key usage, basic
        # constraints...), except that a SCEP identity names the device in its subject and need
        # not carry a subjectAltName.
        ee = ExtensionPolicy.webpki_defaults_ee().may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    else:
        # The RA, the profile signer and CA certificates are not TLS clients: keep the CA-side
        # Web PKI checks and relax only the end-entity extension rules (EKU, SAN).
        ee = ExtensionPolicy.permit_all()
    builder = builder.extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
    verifier = builder.build_client_verifier()
    try:
        verified = verifier.verify(leaf, intermediates)
    except Exception as err:  # VerificationError, or a parse error surfacing late
        print(f"{type(err).__name__}: {err}")
        return 1
    print(f"OK {len(verified.chain)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
