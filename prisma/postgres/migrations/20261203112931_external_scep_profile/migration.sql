-- CreateTable
CREATE TABLE "ExternalScepProfile" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "scepUrl" TEXT NOT NULL,
    "caCertsPem" TEXT NOT NULL,
    "caFingerprintSha256" TEXT NOT NULL,
    "caFingerprintSha1" TEXT NOT NULL,
    "challengeSource" TEXT NOT NULL DEFAULT 'NONE',
    "staticChallengeEnc" TEXT,
    "challengeUrl" TEXT,
    "challengeUsername" TEXT,
    "challengePasswordEnc" TEXT,
    "challengeJsonField" TEXT,
    "subjectTemplate" TEXT NOT NULL DEFAULT 'CN=$UDID',
    "subjectAltNameJson" TEXT,
    "keySize" INTEGER NOT NULL DEFAULT 2048,
    "keyUsage" INTEGER NOT NULL DEFAULT 1,
    "nonExportable" BOOLEAN NOT NULL DEFAULT true,
    "allowAllAppsAccess" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ExternalScepProfile_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ExternalScepProfile_name_key" ON "ExternalScepProfile"("name");
